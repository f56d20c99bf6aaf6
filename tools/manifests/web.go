package manifests

import (
	"net"
	"path"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The images a Deployment may run, by their last path element.
const (
	ServerImage = "casebridged"
	WebImage    = "casebridge-web"
)

// imageName is an image reference's last path element without tag or
// digest: "registry.example.org/casebridge/casebridged:1.0" → "casebridged".
func imageName(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	base := path.Base(ref)
	if i := strings.LastIndex(base, ":"); i >= 0 {
		base = base[:i]
	}
	return base
}

// varRef is Kubernetes' $(NAME) reference in a container's args.
var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expandArgs fills $(NAME) in c's args from its env and the rendered
// ConfigMaps it reads with envFrom, as the kubelet does; it reports every
// name nothing defines (the kubelet would leave the text as it is, and
// the program would be given "$(NAME)").
func expandArgs(c corev1.Container, configMaps map[string]map[string]string) ([]string, []string) {
	vars := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil {
			for k, v := range configMaps[ef.ConfigMapRef.Name] {
				vars[ef.Prefix+k] = v
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			vars[e.Name] = e.Value
		} else {
			vars[e.Name] = "(from " + e.Name + ")"
		}
	}
	var missing []string
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = varRef.ReplaceAllStringFunc(a, func(m string) string {
			name := varRef.FindStringSubmatch(m)[1]
			v, ok := vars[name]
			if !ok {
				missing = append(missing, name)
				return m
			}
			return v
		})
	}
	return args, missing
}

// flagValues maps --flag=value (and --flag value) arguments.
func flagValues(args []string) map[string]string {
	out := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			continue
		}
		if k, v, ok := strings.Cut(a, "="); ok {
			out[k] = v
			continue
		}
		if i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			out[a] = args[i+1]
			i++
			continue
		}
		out[a] = ""
	}
	return out
}

// webRules hold the web client's container to what it is: a client of
// the API (verified TLS to a rendered Service, which the network policies
// let it reach), serving HTTPS, sealing sessions with keys from a Secret
// that every replica mounts, probed over HTTPS, and holding nothing of
// the database's or the keyring's.
func webRules(id string, spec corev1.PodSpec, c corev1.Container, args []string, podLabels map[string]string,
	services map[string]*corev1.Service, pods []workload, policies []*networkingv1.NetworkPolicy, bad func(id, format string, args ...any)) {
	for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Scheme != corev1.URISchemeHTTPS {
			bad(id, "container %s needs HTTPS readiness and liveness probes", c.Name)
			break
		}
	}
	for _, e := range c.Env {
		if e.Name == "DATABASE_URL" || strings.HasPrefix(e.Name, "PG") {
			bad(id, "container %s has %s: the web client holds no database connection", c.Name, e.Name)
		}
	}
	for _, v := range spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			bad(id, "volume %s claims %s: the web client holds no key and no state", v.Name, v.PersistentVolumeClaim.ClaimName)
		}
	}
	flags := flagValues(args)
	for _, f := range []string{"--dev", "--api-insecure"} {
		if _, ok := flags[f]; ok {
			bad(id, "container %s runs with %s, which is for a laptop only", c.Name, f)
		}
	}
	for _, f := range []string{"--tls-cert", "--tls-key", "--api-ca", "--oidc-issuer", "--session-key-file"} {
		if flags[f] == "" {
			bad(id, "container %s has no %s", c.Name, f)
		}
	}
	if keys := flags["--session-key-file"]; keys != "" && !fromSecret(spec, c, keys) {
		bad(id, "container %s reads --session-key-file %s from no Secret volume: every replica must mount the same keys", c.Name, keys)
	}
	api := flags["--api"]
	host, portText, err := net.SplitHostPort(api)
	if err != nil {
		bad(id, "container %s: --api %q is not host:port", c.Name, api)
		return
	}
	svc := services[strings.TrimSuffix(host, ".svc.cluster.local")]
	if svc == nil {
		bad(id, "container %s: --api %s names no rendered Service", c.Name, api)
		return
	}
	port, _ := strconv.Atoi(portText)
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Port == int32(port) {
			sp = &svc.Spec.Ports[i]
		}
	}
	if sp == nil {
		bad(id, "container %s: --api %s: Service %s has no port %d", c.Name, api, svc.Name, port)
		return
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	reached := false
	for _, w := range pods {
		if !sel.Matches(labels.Set(w.labels)) {
			continue
		}
		if target, ok := containerPort(w.spec, sp.TargetPort.String()); ok && reaches(policies, podLabels, w.labels, target) {
			reached = true
		}
	}
	if !reached {
		bad(id, "container %s: the network policies keep it from --api %s", c.Name, api)
	}
}

// fromSecret says whether file lies under one of c's mounts of a Secret volume.
func fromSecret(spec corev1.PodSpec, c corev1.Container, file string) bool {
	secrets := map[string]bool{}
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			secrets[v.Name] = true
		}
	}
	for _, m := range c.VolumeMounts {
		if secrets[m.Name] && strings.HasPrefix(file, strings.TrimSuffix(m.MountPath, "/")+"/") {
			return true
		}
	}
	return false
}

// containerPort resolves a Service's target port (a number or a port
// name) to a container port number of spec.
func containerPort(spec corev1.PodSpec, target string) (int32, bool) {
	if n, err := strconv.Atoi(target); err == nil {
		return int32(n), true
	}
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if p.Name == target {
				return p.ContainerPort, true
			}
		}
	}
	return 0, false
}

// reaches says whether the namespace's policies let a pod labelled from
// open a TCP connection to port of a pod labelled to: the egress of the
// one and the ingress of the other. A pod no policy selects for a
// direction is open in that direction, as in Kubernetes.
func reaches(policies []*networkingv1.NetworkPolicy, from, to map[string]string, port int32) bool {
	return allowed(policies, to, from, port, networkingv1.PolicyTypeIngress) &&
		allowed(policies, from, to, port, networkingv1.PolicyTypeEgress)
}

func allowed(policies []*networkingv1.NetworkPolicy, subject, peer map[string]string, port int32, dir networkingv1.PolicyType) bool {
	selected := false
	for _, p := range policies {
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		if err != nil || !sel.Matches(labels.Set(subject)) || !hasType(p, dir) {
			continue
		}
		selected = true
		if dir == networkingv1.PolicyTypeIngress {
			for _, r := range p.Spec.Ingress {
				if peersMatch(r.From, peer) && portsMatch(r.Ports, port) {
					return true
				}
			}
		} else {
			for _, r := range p.Spec.Egress {
				if peersMatch(r.To, peer) && portsMatch(r.Ports, port) {
					return true
				}
			}
		}
	}
	return !selected
}

func hasType(p *networkingv1.NetworkPolicy, dir networkingv1.PolicyType) bool {
	if len(p.Spec.PolicyTypes) == 0 {
		return dir == networkingv1.PolicyTypeIngress || len(p.Spec.Egress) > 0
	}
	for _, t := range p.Spec.PolicyTypes {
		if t == dir {
			return true
		}
	}
	return false
}

// peersMatch: a peer in the same namespace (no namespace selector, or the
// empty one, which selects every namespace) whose pod selector matches.
func peersMatch(peers []networkingv1.NetworkPolicyPeer, pod map[string]string) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		if p.IPBlock != nil {
			continue
		}
		if p.NamespaceSelector != nil && (len(p.NamespaceSelector.MatchLabels) > 0 || len(p.NamespaceSelector.MatchExpressions) > 0) {
			continue
		}
		if p.PodSelector == nil {
			return true
		}
		sel, err := metav1.LabelSelectorAsSelector(p.PodSelector)
		if err == nil && sel.Matches(labels.Set(pod)) {
			return true
		}
	}
	return false
}

func portsMatch(ports []networkingv1.NetworkPolicyPort, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
			continue
		}
		if p.Port == nil || p.Port.IntValue() == int(port) {
			return true
		}
	}
	return false
}

// configMapData is every rendered ConfigMap's data, by name.
func configMapData(r *Rendered) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, t := range r.Typed {
		if cm, ok := t.(*corev1.ConfigMap); ok {
			out[cm.Name] = cm.Data
		}
	}
	return out
}
