"""Cross-province government services (跨省通办): items, windows, cases on a working-day clock."""
