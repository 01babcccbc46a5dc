"""Portail Famille back-end services."""
