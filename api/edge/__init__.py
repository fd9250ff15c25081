"""The HTTP edge around the routes: middleware, problems, access rules, dependencies."""
