"""Tests for coopzone.ecology."""
