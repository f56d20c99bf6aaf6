package manifests

import (
	"fmt"
	"net/url"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Roles the workloads connect to PostgreSQL as: the schema owner only in
// the migration Job.
const (
	OwnerRole  = "casebridge_owner"
	ServerRole = "casebridge_server"
)

// rules are what a schema cannot say: restrictive security contexts,
// resources, probes, database roles, the web client's place (web.go), and
// references between objects that must resolve.
func rules(r *Rendered) []error {
	var errs []error
	bad := func(id, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", id, fmt.Sprintf(format, args...)))
	}
	var pods []workload
	deployments := map[string]*appsv1.Deployment{}
	services := map[string]*corev1.Service{}
	var policies []*networkingv1.NetworkPolicy
	kinds := map[string]bool{}
	names := map[string]bool{} // Kind/name
	for _, o := range r.Objects {
		kinds[o.Kind] = true
		names[o.Kind+"/"+o.Name] = true
	}
	for id, t := range r.Typed {
		switch v := t.(type) {
		case *appsv1.Deployment:
			deployments[v.Name] = v
			pods = append(pods, workload{id, v.Spec.Template.Labels, v.Spec.Template.Spec})
			sel, err := metav1.LabelSelectorAsSelector(v.Spec.Selector)
			if err != nil || !sel.Matches(labels.Set(v.Spec.Template.Labels)) {
				bad(id, "selector does not match its pod template")
			}
		case *batchv1.Job:
			pods = append(pods, workload{id, v.Spec.Template.Labels, v.Spec.Template.Spec})
		case *corev1.Service:
			services[v.Name] = v
		case *networkingv1.NetworkPolicy:
			policies = append(policies, v)
		}
	}
	configMaps := configMapData(r)
	images := map[string]int{}
	for id, t := range r.Typed {
		d, ok := t.(*appsv1.Deployment)
		if !ok {
			continue
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			args, missing := expandArgs(c, configMaps)
			for _, name := range missing {
				bad(id, "container %s: $(%s) in its args is defined by no env or rendered ConfigMap", c.Name, name)
			}
			images[imageName(c.Image)]++
			switch imageName(c.Image) {
			case ServerImage:
				if c.ReadinessProbe == nil || c.ReadinessProbe.GRPC == nil || c.LivenessProbe == nil || c.LivenessProbe.GRPC == nil {
					bad(id, "container %s needs gRPC readiness and liveness probes on the health service", c.Name)
				}
				if role := dbRole(c.Env); role != ServerRole {
					bad(id, "container %s connects to PostgreSQL as %q, want %s", c.Name, role, ServerRole)
				}
			case WebImage:
				webRules(id, d.Spec.Template.Spec, c, args, d.Spec.Template.Labels, services, pods, policies, bad)
			default:
				bad(id, "container %s runs %s, which is neither %s nor %s", c.Name, c.Image, ServerImage, WebImage)
			}
		}
	}
	for _, want := range []string{ServerImage, WebImage} {
		if images[want] == 0 {
			errs = append(errs, fmt.Errorf("no Deployment runs %s", want))
		}
	}
	for _, w := range pods {
		ps := w.spec.SecurityContext
		if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser == 0 {
			bad(w.id, "pod must run as a non-root user (runAsNonRoot, runAsUser)")
		}
		if ps == nil || ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			bad(w.id, "pod needs the RuntimeDefault seccomp profile")
		}
		if w.spec.AutomountServiceAccountToken == nil || *w.spec.AutomountServiceAccountToken {
			bad(w.id, "pod mounts a service account token it does not need")
		}
		for _, c := range w.spec.Containers {
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				bad(w.id, "container %s needs readOnlyRootFilesystem", c.Name)
			}
			if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				bad(w.id, "container %s must set allowPrivilegeEscalation: false", c.Name)
			}
			if sc == nil || sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
				bad(w.id, "container %s must drop ALL capabilities", c.Name)
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				bad(w.id, "container %s needs CPU and memory requests and a memory limit", c.Name)
			}
			if strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":") {
				bad(w.id, "container %s image %q has no pinned tag", c.Name, c.Image)
			}
			for _, e := range c.Env {
				if strings.Contains(strings.ToUpper(e.Name), "PASSWORD") && e.Value != "" {
					bad(w.id, "container %s has a password in its manifest (%s)", c.Name, e.Name)
				}
			}
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && !names["ConfigMap/"+ef.ConfigMapRef.Name] {
					bad(w.id, "container %s reads ConfigMap %s, which is not rendered", c.Name, ef.ConfigMapRef.Name)
				}
			}
		}
		for _, v := range w.spec.Volumes {
			if v.PersistentVolumeClaim != nil && !names["PersistentVolumeClaim/"+v.PersistentVolumeClaim.ClaimName] {
				bad(w.id, "volume %s claims %s, which is not rendered", v.Name, v.PersistentVolumeClaim.ClaimName)
			}
		}
	}
	for id, t := range r.Typed {
		switch v := t.(type) {
		case *batchv1.Job:
			for _, c := range v.Spec.Template.Spec.Containers {
				if role := dbRole(c.Env); role != OwnerRole {
					bad(id, "the migration connects as %q, want the schema owner %s", role, OwnerRole)
				}
			}
		case *corev1.Service:
			if len(v.Spec.Selector) == 0 || !selectsAny(labels.SelectorFromSet(v.Spec.Selector), pods) {
				bad(id, "selects no pod")
			}
		case *policyv1.PodDisruptionBudget:
			sel, err := metav1.LabelSelectorAsSelector(v.Spec.Selector)
			if err != nil || !selectsAny(sel, pods) {
				bad(id, "selects no pod")
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			d := deployments[v.Spec.ScaleTargetRef.Name]
			if v.Spec.ScaleTargetRef.Kind != "Deployment" || d == nil {
				bad(id, "scales %s/%s, which is not rendered", v.Spec.ScaleTargetRef.Kind, v.Spec.ScaleTargetRef.Name)
			} else if v.Spec.MinReplicas != nil && d.Spec.Replicas != nil && *d.Spec.Replicas < *v.Spec.MinReplicas {
				bad(id, "minReplicas %d above the Deployment's %d replicas", *v.Spec.MinReplicas, *d.Spec.Replicas)
			}
		case *networkingv1.Ingress:
			for _, rule := range v.Spec.Rules {
				for _, p := range rule.HTTP.Paths {
					s := services[p.Backend.Service.Name]
					if s == nil || !hasPort(s, p.Backend.Service.Port.Name, p.Backend.Service.Port.Number) {
						bad(id, "routes to %s port %s, which is not rendered", p.Backend.Service.Name, p.Backend.Service.Port.Name)
					}
				}
			}
		case *monitoringv1.ServiceMonitor:
			sel, err := metav1.LabelSelectorAsSelector(&v.Spec.Selector)
			if err != nil {
				bad(id, "selector: %v", err)
				continue
			}
			for _, ep := range v.Spec.Endpoints {
				found := false
				for _, s := range services {
					if sel.Matches(labels.Set(s.Labels)) && hasPort(s, ep.Port, 0) {
						found = true
					}
				}
				if !found {
					bad(id, "no Service matches the selector with a port named %q", ep.Port)
				}
			}
		}
	}
	if !kinds["NetworkPolicy"] {
		errs = append(errs, fmt.Errorf("no NetworkPolicy"))
	}
	errs = append(errs, cnpgRules(r, names)...)
	return errs
}

// dbRole is the user of the container's DATABASE_URL.
func dbRole(env []corev1.EnvVar) string {
	for _, e := range env {
		if e.Name == "DATABASE_URL" {
			u, err := url.Parse(e.Value)
			if err != nil || u.User == nil {
				return ""
			}
			if _, has := u.User.Password(); has {
				return "(a password in the URL)"
			}
			return u.User.Username()
		}
	}
	return ""
}

func hasPort(s *corev1.Service, name string, number int32) bool {
	for _, p := range s.Spec.Ports {
		if (name != "" && p.Name == name) || (number != 0 && p.Port == number) {
			return true
		}
	}
	return false
}

// workload is a pod template and where it comes from.
type workload struct {
	id     string
	labels map[string]string
	spec   corev1.PodSpec
}

func selectsAny(sel labels.Selector, pods []workload) bool {
	for _, p := range pods {
		if sel.Matches(labels.Set(p.labels)) {
			return true
		}
	}
	return false
}
