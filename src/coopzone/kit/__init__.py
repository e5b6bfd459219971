"""Shared parts every domain assembles from (see STYLE.md): times, validation, uploads, …"""
