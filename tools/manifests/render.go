// Package manifests renders the Kubernetes overlays with kustomize's Go
// module and validates every object they produce: built-in kinds by strict
// decoding into the k8s.io/api types, the ServiceMonitor into
// prometheus-operator's types, and CloudNativePG and Barman Cloud Plugin
// resources against their published CRD schemas; then Casebridge's own
// deployment rules (rules.go).
package manifests

import (
	"fmt"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// Object is one rendered resource.
type Object struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	YAML       []byte
	Map        map[string]any
}

// ID names the object in messages: Kind/namespace/name.
func (o Object) ID() string { return o.Kind + "/" + o.Namespace + "/" + o.Name }

// Render runs kustomize build on dir (an overlay or the base).
func Render(dir string) ([]Object, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var objs []Object
	for _, r := range rm.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(y, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		objs = append(objs, Object{
			APIVersion: r.GetApiVersion(), Kind: r.GetKind(), Name: r.GetName(), Namespace: r.GetNamespace(),
			YAML: y, Map: m,
		})
	}
	return objs, nil
}
