package main

import "github.com/livemall/livemall/backend/apperr"

// errorText is the message of an apperr for the terminal, or the error
// itself for anything else.
func errorText(err error) string {
	if apperr.Code(err) != apperr.Internal {
		return apperr.Message(err)
	}
	return err.Error()
}
