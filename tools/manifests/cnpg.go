package manifests

import (
	"fmt"
)

// cnpgRules check what ties the CloudNativePG objects together: backups
// name an existing cluster and go through the Barman Cloud Plugin to an
// ObjectStore that exists; the cluster manages casebridge_app and the
// server's login role in it, and bootstraps the schema owner.
func cnpgRules(r *Rendered, names map[string]bool) []error {
	var errs []error
	bad := func(id, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", id, fmt.Sprintf(format, args...)))
	}
	const plugin = "barman-cloud.cloudnative-pg.io"
	for _, o := range r.Objects {
		switch o.Kind {
		case "Cluster":
			if get(o.Map, "spec", "backup") != nil {
				bad(o.ID(), "uses the in-tree backup configuration; back up through the %s plugin", plugin)
			}
			archiver := false
			for _, p := range list(get(o.Map, "spec", "plugins")) {
				if get(p, "name") == plugin && get(p, "isWALArchiver") == true {
					archiver = true
					store, _ := get(p, "parameters", "barmanObjectName").(string)
					if !names["ObjectStore/"+store] {
						bad(o.ID(), "archives WAL to ObjectStore %q, which is not rendered", store)
					}
				}
			}
			if !archiver {
				bad(o.ID(), "no WAL archiving through the %s plugin", plugin)
			}
			if owner, _ := get(o.Map, "spec", "bootstrap", "initdb", "owner").(string); owner != OwnerRole {
				bad(o.ID(), "bootstraps the database owned by %q, want %s", owner, OwnerRole)
			}
			roles := map[string]map[string]any{}
			for _, role := range list(get(o.Map, "spec", "managed", "roles")) {
				n, _ := get(role, "name").(string)
				roles[n] = role.(map[string]any)
			}
			if app := roles["casebridge_app"]; app == nil || get(app, "login") == true {
				bad(o.ID(), "must manage casebridge_app as a role without login")
			}
			srv := roles[ServerRole]
			if srv == nil || get(srv, "login") != true || !contains(list(get(srv, "inRoles")), "casebridge_app") || get(srv, "passwordSecret", "name") == nil {
				bad(o.ID(), "must manage %s as a login role in casebridge_app with a password secret", ServerRole)
			}
		case "ScheduledBackup":
			cluster, _ := get(o.Map, "spec", "cluster", "name").(string)
			if !names["Cluster/"+cluster] {
				bad(o.ID(), "backs up Cluster %q, which is not rendered", cluster)
			}
			if get(o.Map, "spec", "method") != "plugin" || get(o.Map, "spec", "pluginConfiguration", "name") != plugin {
				bad(o.ID(), "must back up with method plugin through %s", plugin)
			}
		case "Pooler":
			cluster, _ := get(o.Map, "spec", "cluster", "name").(string)
			if !names["Cluster/"+cluster] {
				bad(o.ID(), "pools Cluster %q, which is not rendered", cluster)
			}
		}
	}
	return errs
}

// get walks nested maps; nil when a step is missing.
func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func contains(l []any, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}
