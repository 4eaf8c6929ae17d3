package main

import (
	"errors"
	"testing"

	"github.com/hookgate/hookgate/internal/benchscenario"
	"github.com/stretchr/testify/assert"
)

func TestNotBuiltIsReportedNotFailed(t *testing.T) {
	ok := &Result{S: &benchscenario.Scenario{Name: "a"}}
	notBuilt := &Result{S: &benchscenario.Scenario{Name: "b"}, Skipped: "not built yet (binary lacks x)"}
	failed := &Result{S: &benchscenario.Scenario{Name: "c"}, Err: errors.New("boom")}
	missed := &Result{S: &benchscenario.Scenario{Name: "d", Goals: []benchscenario.Goal{{Kind: benchscenario.P99Max, Value: 1}}}, Checks: []Check{{Goal: benchscenario.Goal{Kind: benchscenario.P99Max, Value: 1}}}}
	assert.Equal(t, 0, exitCode([]*Result{ok, notBuilt, missed}, false))
	assert.Equal(t, 1, exitCode([]*Result{ok, notBuilt, missed}, true), "-strict fails a missed goal")
	assert.Equal(t, 1, exitCode([]*Result{ok, failed}, false))
	assert.Equal(t, "not built yet", notBuilt.metText())
	assert.Equal(t, "skipped", (&Result{Skipped: "redis-server is not installed"}).metText())
}
