package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
)

var statusCommand = &Command{
	Name:  "status",
	Args:  "[--credentials FILE]",
	Short: "report whether this device is connected",
	Long: `
Status reads the device credential store and reports the account this
device is connected to, with its plan and licence:

	connected: family@example.com, plan Family, licence fam-1

The application does not operate while the device is not connected: status
then prints "not connected" and exits 1.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		path := fs.String("credentials", defaultCredentials, "device credential store `file`")
		return func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("status takes no arguments")
			}
			st, ok, err := credstore.New(*path).Status(ctx, actions.DefaultApp)
			if err != nil {
				return err
			}
			if !ok {
				fmt.Fprintln(env.Stdout, "not connected")
				return &exitError{code: exitFail}
			}
			fmt.Fprintln(env.Stdout, "connected: "+statusLine(st))
			return nil
		}
	},
}

// statusLine describes a saved connection: "family@example.com, plan
// Family, licence LIC-FAM-F".
func statusLine(st credstore.Status) string {
	plan := st.Plan
	if plan == "" {
		plan = "none activated"
	}
	line := fmt.Sprintf("%s, plan %s", st.Account, plan)
	if st.Licence != "" {
		line += ", licence " + st.Licence
	}
	return line
}

var disconnectCommand = &Command{
	Name:  "disconnect",
	Args:  "[--credentials FILE]",
	Short: "remove this device's connection",
	Long: `
Disconnect removes this application's connection (its token, account, plan
and licence) from the device credential store. Tokens other applications of
the vendor saved stay. It prints "disconnected", or "not connected" when
there was nothing to remove; both exit 0.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		path := fs.String("credentials", defaultCredentials, "device credential store `file`")
		return func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("disconnect takes no arguments")
			}
			removed, err := credstore.New(*path).Delete(ctx, actions.DefaultApp)
			if err != nil {
				return err
			}
			if removed {
				fmt.Fprintln(env.Stdout, "disconnected")
			} else {
				fmt.Fprintln(env.Stdout, "not connected")
			}
			return nil
		}
	},
}
