"""Configuration: process settings (environment and flags) and the project's langgraph.json."""
