// Package apptest is the test harness of a whole livemall node: New starts
// a node on a fresh database with an embedded NATS, Client is a browser
// stand-in (cookies, CSRF token, Origin, a virtual passkey), Socket and
// Phone are a device's signaling socket and a pion phone on it, and
// Scenario with RunScenarios is the one table type for API cases.
//
// Every slice's external tests (package mall_test, directory_test,
// agentdesk_test, auth_test, app_test) use it. Only tests may import it,
// as net/http/httptest is for tests: TestOnlyTestsImportAppTest holds that.
package apptest
