package manifests

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
)

// Rendered is an overlay's objects, decoded.
type Rendered struct {
	Objects []Object
	Typed   map[string]runtime.Object // by Object.ID, the built-in kinds and the ServiceMonitor
}

// Check renders dir and validates every object it produces, then applies
// the deployment rules. It reports every problem, not only the first.
func Check(dir string, crds *CRDs) (*Rendered, error) {
	objs, err := Render(dir)
	if err != nil {
		return nil, err
	}
	r := &Rendered{Objects: objs, Typed: map[string]runtime.Object{}}
	var errs []error
	for _, o := range objs {
		switch {
		case isTyped(o):
			t, err := decodeStrict(o)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			r.Typed[o.ID()] = t
		case crds.Knows(o):
			if err := crds.Validate(o); err != nil {
				errs = append(errs, err)
			}
		default:
			errs = append(errs, fmt.Errorf("%s: kind %s of %s has no type or schema to validate it against", o.ID(), o.Kind, o.APIVersion))
		}
	}
	if len(errs) == 0 {
		errs = append(errs, rules(r)...)
	}
	return r, errors.Join(errs...)
}
