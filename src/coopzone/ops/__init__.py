"""Operations: backup and restore, start-up checks, JSON logs. Usable without Typer; the CLI
(`coopzone backup`, `coopzone check`, `coopzone serve`) only parses and presents."""
