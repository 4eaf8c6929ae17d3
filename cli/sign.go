package cli

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/signature"
)

// schemeFlags are the flags that choose a scheme and its secret.
type schemeFlags struct {
	preset, secretEnv, secretFile, url, id string
	keyFile                                string           // standard_webhooks v1a
	hmac                                   signature.Config // --preset hmac only
}

func (f *schemeFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.preset, "preset", "standard_webhooks", "preset name, or hmac with --header and friends")
	fl.StringVar(&f.secretEnv, "secret-env", "", "environment variable holding the secret")
	fl.StringVar(&f.secretFile, "secret-file", "", "file holding the secret")
	fl.StringVar(&f.keyFile, "key-file", "", "standard_webhooks v1a: Ed25519 key file, private to sign, public (whpk_) to verify")
	fl.StringVar(&f.url, "url", "http://localhost/", "the URL the sender signs (Twilio, Square, HubSpot)")
	fl.StringVar(&f.id, "id", "", "message id for schemes that sign one (default: generated)")
	fl.StringVar(&f.hmac.Header, "header", "", "hmac: the signature header")
	fl.StringVar(&f.hmac.Algorithm, "algorithm", "", "hmac: sha1, sha256 or sha512")
	fl.StringVar(&f.hmac.Encoding, "encoding", "", "hmac: hex or base64")
	fl.StringVar(&f.hmac.Prefix, "prefix", "", "hmac: the signature's prefix, e.g. sha256=")
	fl.StringVar(&f.hmac.SignedContent, "signed-content", "", "hmac: the signed-content template")
	fl.StringVar(&f.hmac.TimestampHeader, "timestamp-header", "", "hmac: the timestamp header")
}

func (f *schemeFlags) config() signature.Config {
	c := signature.Config{Scheme: f.preset}
	if f.preset == "hmac" {
		c = f.hmac
		c.Scheme = "hmac"
	}
	// --url is the URL the sender called. Its scheme, host and path are
	// what a route's url gives; the query comes with the request, as at
	// the handler, so that both verify with the same code path (an https
	// URL included).
	if c.URL == "" && c.SignsURL() {
		c.URL = signature.PublicURL(f.url)
	}
	return c
}

// keyed is config with the key of --key-file, if given.
func (f *schemeFlags) keyed() (signature.Config, error) {
	c := f.config()
	if f.keyFile == "" {
		return c, nil
	}
	b, err := os.ReadFile(f.keyFile)
	if err != nil {
		return c, fmt.Errorf("reading the key: %w", err)
	}
	c.Keys = []string{string(b)}
	return c, nil
}

// secret reads the secret named by --secret-env or --secret-file. An
// unsigned preset needs none, nor does a --key-file.
func (f *schemeFlags) secrets() ([]string, error) {
	switch {
	case f.secretEnv != "" && f.secretFile != "":
		return nil, fmt.Errorf("give --secret-env or --secret-file, not both")
	case f.secretEnv != "":
		v, ok := os.LookupEnv(f.secretEnv)
		if !ok || v == "" {
			return nil, fmt.Errorf("environment variable %s is not set", f.secretEnv)
		}
		return []string{v}, nil
	case f.secretFile != "":
		b, err := os.ReadFile(f.secretFile)
		if err != nil {
			return nil, fmt.Errorf("reading the secret: %w", err)
		}
		return []string{strings.TrimSpace(string(b))}, nil
	}
	return nil, nil
}

func (f *schemeFlags) messageID() string {
	if f.id != "" {
		return f.id
	}
	return "msg_" + randomHex(12)
}

// signedHeaders signs body with the flags' scheme and returns the headers.
func (f *schemeFlags) signedHeaders(body []byte, now time.Time) (http.Header, error) {
	secrets, err := f.secrets()
	if err != nil {
		return nil, err
	}
	c, err := f.keyed()
	if err != nil {
		return nil, err
	}
	signer, err := c.NewSigner(secrets)
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(f.url)
	if err != nil {
		return nil, fmt.Errorf("--url: %w", err)
	}
	h := http.Header{}
	if err := signer.Sign(h, target, f.messageID(), body, now); err != nil {
		return nil, err
	}
	return h, nil
}

func signCommand() *cobra.Command {
	var f schemeFlags
	cmd := &cobra.Command{
		Use:   "sign --preset <name> --secret-env <VAR> < body",
		Short: "Print the headers that sign the body read from stdin",
		Example: `  caddy webhook sign --preset github --secret-env GH_SECRET < body.json
  curl http://localhost:8080/hooks/github $(caddy webhook sign --preset github --secret-env GH_SECRET --curl < body.json) --data-binary @body.json`,
		Args: cobra.NoArgs,
	}
	var curl bool
	f.register(cmd)
	cmd.Flags().BoolVar(&curl, "curl", false, "print the headers as curl -H arguments")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		body, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return err
		}
		h, err := f.signedHeaders(body, time.Now())
		if err != nil {
			return err
		}
		for _, line := range headerLines(h) {
			if curl {
				fmt.Fprintf(cmd.OutOrStdout(), "-H %s ", strconv.Quote(line))
				continue
			}
			fmt.Fprintln(cmd.OutOrStdout(), line)
		}
		return nil
	}
	return cmd
}

func verifyCommand() *cobra.Command {
	var f schemeFlags
	var headers []string
	var method string
	var tolerance time.Duration
	cmd := &cobra.Command{
		Use:   "verify --preset <name> --secret-env <VAR> -H 'Name: value'... < body",
		Short: "Check a body read from stdin and its headers against a secret",
		Example: `  caddy webhook verify --preset github --secret-env GH_SECRET \
    -H 'X-Hub-Signature-256: sha256=…' < body.json
  caddy webhook verify --key-file signing.key.pub -H 'webhook-id: …' \
    -H 'webhook-timestamp: …' -H 'webhook-signature: v1a,…' < body.json`,
		Args: cobra.NoArgs,
	}
	f.register(cmd)
	cmd.Flags().StringArrayVarP(&headers, "header-line", "H", nil, "a request header, 'Name: value' (repeat)")
	cmd.Flags().StringVar(&method, "method", http.MethodPost, "the request method")
	cmd.Flags().DurationVar(&tolerance, "tolerance", 0, "timestamp window (default: the preset's)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		body, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return err
		}
		req, err := http.NewRequest(method, f.url, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("--url: %w", err)
		}
		for _, line := range headers {
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				return fmt.Errorf("header %q: want 'Name: value'", line)
			}
			req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		}
		secrets, err := f.secrets()
		if err != nil {
			return err
		}
		c, err := f.keyed()
		if err != nil {
			return err
		}
		v, err := c.NewVerifier(secrets, tolerance)
		if err != nil {
			return err
		}
		if err := v.Verify(req, body, time.Now()); err != nil {
			cmd.SilenceUsage = true
			return fmt.Errorf("not verified: %w", err)
		}
		fmt.Fprintln(cmd.OutOrStdout(), "verified")
		return nil
	}
	return cmd
}

func sendTestCommand() *cobra.Command {
	var f schemeFlags
	var to, bodyFile string
	cmd := &cobra.Command{
		Use:   "send-test --preset <name> --secret-env <VAR> --to <url>",
		Short: "Send a correctly signed sample event and print the answer",
		Long: `Sends a sample event, signed with the preset's scheme, to a route, as the
provider's "send test webhook" button would. The sample holds fresh values
wherever the preset's default dedupe key looks (a header or a JSON field),
so every run is a new event; --body-file sends a body of your own instead.`,
		Example: `  caddy webhook send-test --preset stripe --secret-env STRIPE_SECRET --to http://localhost:8080/hooks/stripe`,
		Args:    cobra.NoArgs,
	}
	f.register(cmd)
	cmd.Flags().StringVar(&to, "to", "", "the URL to send to (required)")
	cmd.Flags().StringVar(&bodyFile, "body-file", "", "send this file's bytes as the body")
	_ = cmd.MarkFlagRequired("to")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if f.url == "http://localhost/" {
			f.url = to // what the sender signs is where it sends
		}
		body, header, err := sample(f.preset)
		if err != nil {
			return err
		}
		if bodyFile != "" {
			if body, err = os.ReadFile(bodyFile); err != nil {
				return err
			}
		}
		// A JSON body signed through the URL (Twilio) travels with its
		// SHA-256 in the query, as the sender adds it.
		if param := f.config().BodyHashParam(); param != "" {
			sum := sha256.Sum256(body)
			if to, err = addQuery(to, param, hex.EncodeToString(sum[:])); err != nil {
				return err
			}
			if f.url, err = addQuery(f.url, param, hex.EncodeToString(sum[:])); err != nil {
				return err
			}
		}
		signed, err := f.signedHeaders(body, time.Now())
		if err != nil {
			return err
		}
		for name, values := range signed {
			header[name] = values
		}
		return sendAndPrint(cmd.OutOrStdout(), to, header, body)
	}
	return cmd
}

// addQuery appends name=value to u's query.
func addQuery(u, name, value string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("--to: %w", err)
	}
	q := parsed.RawQuery
	if q != "" {
		q += "&"
	}
	parsed.RawQuery = q + url.QueryEscape(name) + "=" + url.QueryEscape(value)
	return parsed.String(), nil
}

func sendAndPrint(out io.Writer, to string, header http.Header, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, to, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	req.Header = header
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(out, "%s %s\n%s\n", resp.Proto, resp.Status, bytes.TrimSpace(answer))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("the route answered %d", resp.StatusCode)
	}
	return nil
}

// keyPart finds the parts of a dedupe key template a sample must fill.
var keyPart = regexp.MustCompile(`\{(json|header)\.([^}]+)\}`)

// sample builds a JSON test event for a preset: a fresh value wherever the
// preset's dedupe key reads one, so that each sample is a new event.
func sample(preset string) ([]byte, http.Header, error) {
	header := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"hookgate-send-test"}}
	var doc any = map[string]any{}
	key := ""
	if p, ok := signature.LookupPreset(preset); ok {
		key = p.DedupeKey
		if path := p.BodyTimestamp(); path != "" {
			doc = setPath(doc, strings.Split(path, "."), time.Now().UnixMilli())
		}
	}
	if key == "" {
		key = "{json.id}"
	}
	for _, m := range keyPart.FindAllStringSubmatch(key, -1) {
		value := "test_" + randomHex(8)
		if m[1] == "header" {
			header.Set(m[2], value)
			continue
		}
		doc = setPath(doc, strings.Split(m[2], "."), value)
	}
	if obj, ok := doc.(map[string]any); ok {
		if _, set := obj["type"]; !set {
			obj["type"] = "hookgate.test"
		}
		// A key built from the whole signed content ({signed_digest})
		// reads no field: a fresh id still makes each sample a new event.
		if _, set := obj["id"]; !set {
			obj["id"] = "test_" + randomHex(8)
		}
	}
	body, err := json.Marshal(doc)
	return body, header, err
}

// setPath sets value at path in doc, making objects, and arrays where a
// segment is an index, as needed; it returns the (possibly new) doc.
func setPath(doc any, path []string, value any) any {
	if len(path) == 0 {
		return value
	}
	if i, err := strconv.Atoi(path[0]); err == nil && i >= 0 && i < 100 {
		arr, _ := doc.([]any)
		for len(arr) <= i {
			arr = append(arr, map[string]any{})
		}
		arr[i] = setPath(arr[i], path[1:], value)
		return arr
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		obj = map[string]any{}
	}
	obj[path[0]] = setPath(obj[path[0]], path[1:], value)
	return obj
}

func headerLines(h http.Header) []string {
	var lines []string
	for name, values := range h {
		for _, v := range values {
			lines = append(lines, name+": "+v)
		}
	}
	sort.Strings(lines)
	return lines
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
