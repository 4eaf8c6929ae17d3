package main

import (
	"errors"
	"testing"

	"github.com/hookgate/hookgate/internal/benchreport"
	"github.com/hookgate/hookgate/internal/benchscenario"
	"github.com/stretchr/testify/assert"
)

func TestNotBuiltIsReportedNotFailed(t *testing.T) {
	ok := &benchreport.Result{S: &benchscenario.Scenario{Name: "a"}}
	notBuilt := &benchreport.Result{S: &benchscenario.Scenario{Name: "b"}, Skipped: "not built yet (binary lacks x)"}
	failed := &benchreport.Result{S: &benchscenario.Scenario{Name: "c"}, Err: errors.New("boom")}
	missed := &benchreport.Result{S: &benchscenario.Scenario{Name: "d", Goals: []benchscenario.Goal{{Kind: benchscenario.P99Max, Value: 1}}}, Checks: []benchreport.Check{{Goal: benchscenario.Goal{Kind: benchscenario.P99Max, Value: 1}}}}
	assert.Equal(t, 0, exitCode([]*benchreport.Result{ok, notBuilt, missed}, false))
	assert.Equal(t, 1, exitCode([]*benchreport.Result{ok, notBuilt, missed}, true), "-strict fails a missed goal")
	assert.Equal(t, 1, exitCode([]*benchreport.Result{ok, failed}, false))
}
