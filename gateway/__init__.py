"""Gateway: the French web pages and the parent JSON API, aggregating the services."""
