package manifests

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

// typed knows the Go types of the built-in kinds and the ServiceMonitor.
var (
	scheme = func() *runtime.Scheme {
		s := runtime.NewScheme()
		for _, add := range []func(*runtime.Scheme) error{
			corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme,
			autoscalingv2.AddToScheme, networkingv1.AddToScheme, rbacv1.AddToScheme, monitoringv1.AddToScheme,
		} {
			utilruntime.Must(add(s))
		}
		return s
	}()
	strict = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
)

// isTyped says whether the object's kind has a Go type here.
func isTyped(o Object) bool {
	gv, err := schema.ParseGroupVersion(o.APIVersion)
	if err != nil {
		return false
	}
	return scheme.Recognizes(gv.WithKind(o.Kind))
}

// decodeStrict decodes o into its Go type, failing on any unknown or
// duplicated field and on a value of the wrong type.
func decodeStrict(o Object) (runtime.Object, error) {
	obj, _, err := strict.Decode(o.YAML, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.ID(), err)
	}
	return obj, nil
}
