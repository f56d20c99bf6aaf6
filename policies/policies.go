// Package policies holds Casebridge's authorization policy as data: the
// Casbin model (model.conf), the permissions of each role (policy.csv) and
// the table that maps every gRPC method to the permission it needs
// (methods.csv).
//
// The files are embedded so that tests, and a server started without a
// policy directory, use exactly the reviewed defaults; a server given a
// directory reads the same three files from there and reloads them when they
// change (see internal/authz).
package policies

import (
	"embed"
	"io/fs"
)

// File names inside the policy directory.
const (
	ModelFile   = "model.conf"
	PolicyFile  = "policy.csv"
	MethodsFile = "methods.csv"
)

//go:embed model.conf policy.csv methods.csv
var files embed.FS

// Files returns the embedded default policy: model.conf, policy.csv and
// methods.csv at the root of the returned file system.
func Files() fs.FS { return files }
