package app

// OpenAPI is the embedded description of the HTTP API, for the external
// tests (TestOpenAPICoversRoutes compares it with what the server serves).
var OpenAPI = openAPI
