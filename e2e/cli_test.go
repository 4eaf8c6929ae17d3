package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// webhookCLI runs `caddy webhook args…` with stdin and HOOKGATE_SECRET set,
// and returns its combined output.
func webhookCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(caddyBin, append([]string{"webhook"}, args...)...)
	cmd.Env = append(os.Environ(), "HOOKGATE_SECRET="+secret)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	assert.NotContains(t, string(out), secret, "a secret reached the CLI's output")
	return string(out), err
}

func TestCLISignsWhatVerifyAccepts(t *testing.T) {
	body := `{"id":"evt_cli"}`
	headers, err := webhookCLI(t, body, "sign", "--preset", "contextfile", "--secret-env", "HOOKGATE_SECRET")
	require.NoError(t, err, headers)
	assert.Equal(t, "X-Webhook-Signature: "+sign(body)+"\n", headers)

	out, err := webhookCLI(t, body, "verify", "--preset", "contextfile", "--secret-env", "HOOKGATE_SECRET", "-H", strings.TrimSpace(headers))
	require.NoError(t, err, out)
	assert.Contains(t, out, "verified")

	out, err = webhookCLI(t, body+" ", "verify", "--preset", "contextfile", "--secret-env", "HOOKGATE_SECRET", "-H", strings.TrimSpace(headers))
	require.Error(t, err, "a changed body must not verify")
	assert.Contains(t, out, "signature mismatch")

	out, err = webhookCLI(t, body, "sign", "--preset", "contextfile", "--secret-env", "HOOKGATE_UNSET_VARIABLE")
	require.Error(t, err)
	assert.Contains(t, out, "HOOKGATE_UNSET_VARIABLE is not set")
}

func TestCLIOperatesTheQueues(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusUnprocessableEntity })
	c := startInbound(t, rc, nil)

	// send-test: a signed sample event, a fresh one each time.
	for i := 0; i < 2; i++ {
		out, err := webhookCLI(t, "", "send-test", "--preset", "contextfile", "--secret-env", "HOOKGATE_SECRET",
			"--to", "http://"+c.HTTP+"/hooks/contextfile")
		require.NoError(t, err, out)
		assert.Contains(t, out, "202 Accepted")
	}
	waitFor(t, 5*time.Second, "two dead letters", func() bool { return c.stats().Queues[rc.URL].Dead == 2 })

	admin := []string{"--address", c.Admin}
	out, err := webhookCLI(t, "", append([]string{"messages", "--dead", "--route", rc.URL}, admin...)...)
	require.NoError(t, err, out)
	assert.Equal(t, 3, strings.Count(out, "\n"), "a header and two messages:\n%s", out)
	assert.Contains(t, out, "422")

	out, err = webhookCLI(t, "", append([]string{"messages"}, admin...)...)
	require.NoError(t, err, out)
	assert.Equal(t, 1, strings.Count(out, "\n"), "nothing queued:\n%s", out)

	rc.setAnswer(nil)
	dead, _ := webhookCLI(t, "", append([]string{"messages", "--dead"}, admin...)...)
	one := regexp.MustCompile(`msg_[0-9A-Z]{26}`).FindString(dead)
	require.NotEmpty(t, one, dead)
	out, err = webhookCLI(t, "", append([]string{"replay", one}, admin...)...)
	require.NoError(t, err, out)
	assert.Contains(t, out, "replayed "+one)
	waitFor(t, 5*time.Second, "the one replayed delivered", func() bool { return len(rc.deliveries()) == 3 })
	assert.Equal(t, 1, c.stats().Queues[rc.URL].Dead, "only the one named was replayed")

	out, err = webhookCLI(t, "", append([]string{"replay", "--all-dead"}, admin...)...)
	require.NoError(t, err, out)
	assert.Contains(t, out, "replayed 1 message\n")
	waitFor(t, 5*time.Second, "both delivered after the replays", func() bool { return len(rc.deliveries()) == 4 })
	assert.Zero(t, c.stats().Queues[rc.URL].Dead)

	out, err = webhookCLI(t, "", append([]string{"replay", "msg_01M82MAFVSA0RW4001RXKQ5X2S"}, admin...)...)
	require.Error(t, err)
	assert.Contains(t, out, "404")
}
