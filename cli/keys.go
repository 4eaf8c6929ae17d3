package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/signature/keys"
)

// keygen writes an Ed25519 key pair for Standard Webhooks v1a signing: the
// private key as PEM (PKCS #8) in out, mode 0600, refused if out exists
// unless force; the public key, whpk_<base64>, in out.pub and returned.
func keygen(out string, force bool) (string, error) {
	priv, whpk, err := keys.GenerateEd25519()
	if err != nil {
		return "", err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	if err := writeFile(out, priv, flags, 0o600); err != nil {
		return "", err
	}
	if err := writeFile(out+".pub", []byte(whpk+"\n"), flags, 0o644); err != nil {
		return "", err
	}
	return whpk, nil
}

func writeFile(name string, b []byte, flags int, mode fs.FileMode) error {
	f, err := os.OpenFile(name, flags, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: keep it, or give --force to replace it", name)
	}
	if err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil { // an existing file keeps its mode otherwise
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func keygenCommand() *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen [--out signing.key]",
		Short: "Write an Ed25519 key pair for Standard Webhooks v1a signatures",
		Long: `Writes a private key (PEM, PKCS #8, mode 0600) for
	sign standard_webhooks { key ed25519 {file./etc/hookgate/signing.key} }
and its public key, whpk_<base64> as the Standard Webhooks spec serializes
it, beside it (<out>.pub) and on stdout, for receivers to pin:
	verify standard_webhooks { key ed25519 whpk_… }`,
		Example: `  caddy webhook keygen --out /etc/hookgate/signing.key`,
		Args:    cobra.NoArgs,
	}
	cmd.Flags().StringVar(&out, "out", "signing.key", "the private key's file; the public key goes to <out>.pub")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing files")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		whpk, err := keygen(out, force)
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "wrote the private key to %s (0600) and the public key to %s.pub\n", out, out)
		fmt.Fprintln(cmd.OutOrStdout(), whpk)
		return nil
	}
	return cmd
}

func keysCommand() *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "List the public keys that sign deliveries (v1a), by route",
		Args:  cobra.NoArgs,
	}
	f.register(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		var answer struct {
			Keys []struct {
				Route, Endpoint, Queue string
				PublicKeys             []string `json:"public_keys"`
			}
		}
		if err := f.call(http.MethodGet, "/webhooks/keys", &answer); err != nil {
			return err
		}
		w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ROUTE\tENDPOINT\tPUBLIC KEY")
		for _, k := range answer.Keys {
			fmt.Fprintf(w, "%s\t%s\t%s\n", k.Route, k.Endpoint, strings.Join(k.PublicKeys, " "))
		}
		return w.Flush()
	}
	return cmd
}
