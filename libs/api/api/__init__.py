"""The platform's HTTP operations, each declared once (`api.operation.Operation`).

The gateway generates its routes and OpenAPI document from these declarations; the services
load the same request schemas and enforce the same roles (`api.serving.serves`). Each area's
module (`api.programs`, ...) holds its schemas and its operations.
"""
