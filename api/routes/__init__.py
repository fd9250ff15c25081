"""The API's routes, one module per resource: thin handlers over the services."""
