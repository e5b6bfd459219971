"""Provinces, cities and counties with their GB/T 2260 codes; every domain may use it."""
