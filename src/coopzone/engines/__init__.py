"""Pure computation: standards and calculations. No web, database, settings or I/O imports."""
