"""In-app notifications: one row per user and event, an unread count in the page header."""
