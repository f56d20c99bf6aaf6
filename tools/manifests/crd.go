package manifests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// CRDs validates custom resources against the openAPIV3Schema of their
// CustomResourceDefinition, read from a directory of CRD files.
type CRDs struct {
	schemas map[string]*jsonschema.Schema // by apiVersion + "/" + kind
}

// LoadCRDs reads every *.yaml CustomResourceDefinition under dir.
func LoadCRDs(dir string) (*CRDs, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*", "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no CRD files under %s", dir)
	}
	c := &CRDs{schemas: map[string]*jsonschema.Schema{}}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft4)
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var crd struct {
			Kind string `json:"kind"`
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Schema struct {
						OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(raw, &crd); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			key := crd.Spec.Group + "/" + v.Name + "/" + crd.Spec.Names.Kind
			url := "mem://" + key
			if err := comp.AddResource(url, structural(v.Schema.OpenAPIV3Schema)); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			s, err := comp.Compile(url)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", p, key, err)
			}
			c.schemas[key] = s
		}
	}
	return c, nil
}

// Knows says whether o's kind has a CRD schema here.
func (c *CRDs) Knows(o Object) bool { return c.schemas[o.APIVersion+"/"+o.Kind] != nil }

// Validate checks o against its CRD schema, and its metadata strictly.
func (c *CRDs) Validate(o Object) error {
	s := c.schemas[o.APIVersion+"/"+o.Kind]
	if s == nil {
		return fmt.Errorf("%s: no CRD schema for %s", o.ID(), o.APIVersion)
	}
	// Round-trip through encoding/json so numbers are what the validator expects.
	js, err := json.Marshal(o.Map)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("%s: %w", o.ID(), err)
	}
	meta, err := json.Marshal(o.Map["metadata"])
	if err != nil {
		return err
	}
	if err := yaml.UnmarshalStrict(meta, &metav1.ObjectMeta{}); err != nil {
		return fmt.Errorf("%s: metadata: %w", o.ID(), err)
	}
	return nil
}

// structural turns a CRD's OpenAPI v3 schema into JSON Schema that rejects
// what the API server would silently prune: a field not in "properties" is
// an error unless the schema preserves unknown fields. "nullable" becomes a
// null type.
func structural(node any) any {
	switch n := node.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, v := range n {
			if strings.HasPrefix(k, "x-kubernetes-") || k == "nullable" {
				continue
			}
			switch k {
			case "properties", "patternProperties", "definitions":
				props := map[string]any{}
				for pk, pv := range v.(map[string]any) {
					props[pk] = structural(pv)
				}
				out[k] = props
			default:
				out[k] = structural(v)
			}
		}
		_, hasProps := n["properties"]
		_, hasAdditional := n["additionalProperties"]
		preserve, _ := n["x-kubernetes-preserve-unknown-fields"].(bool)
		if hasProps && !hasAdditional && !preserve {
			out["additionalProperties"] = false
		}
		if nullable, _ := n["nullable"].(bool); nullable {
			if t, ok := n["type"].(string); ok {
				out["type"] = []any{t, "null"}
			}
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = structural(v)
		}
		return out
	default:
		return node
	}
}
