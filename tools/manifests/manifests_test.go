package manifests

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

var (
	crdOnce sync.Once
	crdSet  *CRDs
	crdErr  error
)

// crds reads the CRD schemas from the directory the environment names
// (make deploy-check points it at the shared schemas beside the checkout).
func crds(t *testing.T) *CRDs {
	t.Helper()
	crdOnce.Do(func() {
		dir := os.Getenv(SchemaDirEnv)
		if dir == "" {
			crdErr = errNoSchemas
			return
		}
		crdSet, crdErr = LoadCRDs(dir)
	})
	if crdErr != nil {
		t.Fatal(crdErr)
	}
	return crdSet
}

type schemaErr string

func (e schemaErr) Error() string { return string(e) }

const errNoSchemas = schemaErr(SchemaDirEnv + " must name the CRD schema directory (make deploy-check sets it)")

const kube = "../../deploy/kubernetes"

func TestEveryOverlayIsValid(t *testing.T) {
	dirs, err := Overlays(kube)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 3 {
		t.Fatalf("overlays %v, want base, dev and production", dirs)
	}
	for _, dir := range dirs {
		r, err := Check(dir, crds(t))
		if err != nil {
			t.Errorf("%s:\n%v", dir, err)
			continue
		}
		kinds := map[string]int{}
		for _, o := range r.Objects {
			kinds[o.Kind]++
		}
		for _, k := range []string{"Cluster", "ObjectStore", "ScheduledBackup", "Job", "Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "ServiceMonitor", "PersistentVolumeClaim"} {
			if kinds[k] == 0 {
				t.Errorf("%s renders no %s", dir, k)
			}
		}
	}
}

func TestProductionIsHighlyAvailable(t *testing.T) {
	r, err := Check(filepath.Join(kube, "overlays", "production"), crds(t))
	if err != nil {
		t.Fatal(err)
	}
	deployments := map[string]bool{}
	for _, o := range r.Objects {
		if o.Namespace != "casebridge" && o.Kind != "Namespace" {
			t.Errorf("%s outside the casebridge namespace", o.ID())
		}
		switch o.Kind {
		case "Cluster":
			if n := get(o.Map, "spec", "instances"); n != float64(3) {
				t.Errorf("Cluster instances = %v, want 3", n)
			}
			if get(o.Map, "spec", "postgresql", "synchronous", "number") != float64(1) {
				t.Errorf("Cluster without synchronous replication: %v", get(o.Map, "spec", "postgresql"))
			}
		case "PersistentVolumeClaim":
			if modes := list(get(o.Map, "spec", "accessModes")); !contains(modes, "ReadWriteMany") {
				t.Errorf("keyring access modes %v: every replica must be able to write it", modes)
			}
		case "Deployment":
			d := r.Typed[o.ID()].(*appsv1.Deployment)
			if *d.Spec.Replicas < 2 {
				t.Errorf("%s: %d replicas", o.Name, *d.Spec.Replicas)
			}
			if !strings.HasPrefix(d.Spec.Template.Spec.Containers[0].Image, "registry.example.org/casebridge/"+o.Name+":") {
				t.Errorf("%s: image %s", o.Name, d.Spec.Template.Spec.Containers[0].Image)
			}
			deployments[o.Name] = true
		}
	}
	for _, want := range []string{"casebridged", "casebridge-web"} {
		if !deployments[want] {
			t.Errorf("production has no Deployment %s", want)
		}
	}
}

// overlay writes a kustomization on top of the real base with extra
// patches and resources, and checks it.
func overlay(t *testing.T, kustomization string, files map[string]string) error {
	t.Helper()
	dir := t.TempDir()
	base, err := filepath.Abs(filepath.Join(kube, "base"))
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, base)
	if err != nil {
		t.Fatal(err)
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: t\nresources:\n  - " + rel + "\n" + strings.TrimPrefix(kustomization, "resources:\n")
	files["kustomization.yaml"] = k
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, err = Check(dir, crds(t))
	return err
}

func patch(kind, name, ops string) string {
	return "patches:\n  - target:\n      kind: " + kind + "\n      name: " + name + "\n    patch: |-\n" + indent(ops, "      ")
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = by + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestCheckRejectsInvalidObjects(t *testing.T) {
	cases := []struct {
		name, kustomization string
		files               map[string]string
		want                string
	}{
		{"unknown Deployment field", patch("Deployment", "casebridged", "- op: add\n  path: /spec/template/spec/containers/0/readinesProbe\n  value: {grpc: {port: 9090}}"), nil, `unknown field "spec.template.spec.containers[0].readinesProbe"`},
		{"wrong type in a Service", patch("Service", "casebridged", "- op: replace\n  path: /spec/ports/0/port\n  value: seventy"), nil, "Service/t/casebridged"},
		{"unknown ServiceMonitor field", patch("ServiceMonitor", "casebridged", "- op: add\n  path: /spec/endpoints/0/scrapeEvery\n  value: 30s"), nil, "scrapeEvery"},
		{"unknown Cluster field", patch("Cluster", "casebridge-db", "- op: add\n  path: /spec/instance\n  value: 3"), nil, "instance"},
		{"Cluster enum", patch("Cluster", "casebridge-db", "- op: replace\n  path: /spec/postgresql/synchronous/method\n  value: all"), nil, "synchronous"},
		{"ObjectStore without destination", patch("ObjectStore", "casebridge-backups", "- op: remove\n  path: /spec/configuration/destinationPath"), nil, "destinationPath"},
		{"ScheduledBackup in-tree method", patch("ScheduledBackup", "casebridge-db-nightly", "- op: replace\n  path: /spec/method\n  value: barmanObjectStore"), nil, "method plugin"},
		{"backup of a missing cluster", patch("ScheduledBackup", "casebridge-db-nightly", "- op: replace\n  path: /spec/cluster/name\n  value: other"), nil, `Cluster "other"`},
		{"Pooler with a bad field", "resources:\n  - pooler.yaml\n", map[string]string{"pooler.yaml": "apiVersion: postgresql.cnpg.io/v1\nkind: Pooler\nmetadata:\n  name: p\nspec:\n  cluster:\n    name: casebridge-db\n  instances: 2\n  type: rw\n  pgbouncer:\n    poolMode: session\n    poolSize: 3\n"}, "poolSize"},
		{"writable root filesystem", patch("Deployment", "casebridged", "- op: replace\n  path: /spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem\n  value: false"), nil, "readOnlyRootFilesystem"},
		{"root user", patch("Job", "casebridge-migrate", "- op: replace\n  path: /spec/template/spec/securityContext/runAsUser\n  value: 0"), nil, "non-root"},
		{"no gRPC probe", patch("Deployment", "casebridged", "- op: remove\n  path: /spec/template/spec/containers/0/livenessProbe"), nil, "gRPC readiness and liveness"},
		{"server as schema owner", patch("Deployment", "casebridged", "- op: replace\n  path: /spec/template/spec/containers/0/env/2/value\n  value: postgres://casebridge_owner@casebridge-db-rw:5432/casebridge"), nil, "want casebridge_server"},
		{"no resources", patch("Deployment", "casebridged", "- op: remove\n  path: /spec/template/spec/containers/0/resources"), nil, "requests"},
		{"no managed server role", patch("Cluster", "casebridge-db", "- op: remove\n  path: /spec/managed/roles/1"), nil, "casebridge_server as a login role"},
		{"web reaching the API without TLS", patch("Deployment", "casebridge-web", "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --api-insecure"), nil, "--api-insecure"},
		{"web session keys from no Secret", patch("Deployment", "casebridge-web", "- op: replace\n  path: /spec/template/spec/containers/0/args/5\n  value: --session-key-file=/tmp/keys"), nil, "from no Secret volume"},
		{"web probed over HTTP", patch("Deployment", "casebridge-web", "- op: replace\n  path: /spec/template/spec/containers/0/readinessProbe/httpGet/scheme\n  value: HTTP"), nil, "HTTPS readiness and liveness"},
		{"web with a database URL", patch("Deployment", "casebridge-web", "- op: add\n  path: /spec/template/spec/containers/0/env\n  value: [{name: DATABASE_URL, value: \"postgres://casebridge_server@casebridge-db-rw/casebridge\"}]"), nil, "holds no database connection"},
		{"web shut out of the API", patch("NetworkPolicy", "casebridged", "- op: remove\n  path: /spec/ingress/1"), nil, "keep it from --api casebridged:7443"},
		{"web egress without the API", patch("NetworkPolicy", "casebridge-web", "- op: remove\n  path: /spec/egress/1"), nil, "keep it from --api"},
		{"web API names no Service", patch("ConfigMap", "casebridge-web-config", "- op: replace\n  path: /data/CASEBRIDGE_WEB_API\n  value: casebridge:7443"), nil, "names no rendered Service"},
		{"undefined variable in args", patch("Deployment", "casebridge-web", "- op: replace\n  path: /spec/template/spec/containers/0/args/3\n  value: --api=$(CASEBRIDGE_WEB_APII)"), nil, "$(CASEBRIDGE_WEB_APII)"},
		{"unknown image", patch("Deployment", "casebridge-web", "- op: replace\n  path: /spec/template/spec/containers/0/image\n  value: nginx:1.27"), nil, "neither casebridged nor casebridge-web"},
		{"unknown kind", "resources:\n  - cm.yaml\n", map[string]string{"cm.yaml": "apiVersion: example.org/v1\nkind: Widget\nmetadata:\n  name: w\n"}, "no type or schema"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := c.files
			if files == nil {
				files = map[string]string{}
			}
			err := overlay(t, c.kustomization, files)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant one mentioning %q", err, c.want)
			}
		})
	}
	// The harness itself accepts the unchanged base.
	if err := overlay(t, "", map[string]string{}); err != nil {
		t.Fatalf("plain overlay: %v", err)
	}
}
