// Package ansible implements the Ansible module protocol for Go binary
// modules.
//
// Ansible does nothing for a binary module beyond copying it to the host,
// writing the task's arguments as JSON to a file and running
// `<module> <args-file>`. Argument checking, defaults, no_log masking, the
// check-mode skip, diff output and the promise of exactly one JSON object on
// stdout are therefore done here, once, for every module of the collection.
//
// A module declares its parameters as a struct:
//
//	type params struct {
//		Path     string   `ansible:"path" type:"path" default:"/etc/docker/daemon.json"`
//		State    string   `ansible:"state" default:"present" choices:"present,absent"`
//		Password string   `ansible:"password,required,no_log"`
//		Mirrors  []string `ansible:"mirrors"`
//	}
//
// and its main is one line:
//
//	func main() { os.Exit(ansible.Main(run)) }
//
// where run has the signature func(*ansible.Module, *params) (ansible.Result, error).
package ansible
