package notices_test

import (
	"testing"

	"github.com/livemall/livemall/backend/app/apptest"
)

func TestMain(m *testing.M) { apptest.Main(m) }
