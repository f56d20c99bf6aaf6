package cli

import (
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
)

// renderHelp is the text --help prints: usage line, description, examples,
// sub-commands or flags. Examples come early because they are what people
// read first.
func renderHelp(cmd *Command, full string, fs, globals *flag.FlagSet) string {
	var b strings.Builder
	usage := full
	switch {
	case cmd.Run == nil:
		usage += " COMMAND"
	case cmd.Args != "":
		usage += " " + cmd.Args
	}
	fmt.Fprintf(&b, "Usage: %s [flags]\n", usage)
	if text := strings.TrimSpace(firstNonEmpty(cmd.Help, cmd.Summary)); text != "" {
		fmt.Fprintf(&b, "\n%s\n", text)
	}
	if len(cmd.Examples) > 0 {
		b.WriteString("\nExamples:\n")
		for _, e := range cmd.Examples {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	if len(cmd.Sub) > 0 {
		b.WriteString("\nCommands:\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 3, ' ', 0)
		for _, s := range cmd.Sub {
			fmt.Fprintf(tw, "  %s\t%s\n", s.Name, s.Summary)
		}
		tw.Flush()
		fmt.Fprintf(&b, "\nRun '%s COMMAND --help' for a command's flags and examples.\n", full)
	}
	if fs != nil {
		if own := flagLines(fs, globals, false); own != "" {
			b.WriteString("\nFlags:\n" + own)
		}
	}
	if g := flagLines(globals, nil, true); g != "" {
		b.WriteString("\nGlobal flags:\n" + g)
	}
	return b.String()
}

// flagLines lists the flags of fs, leaving out those also in skip (the
// globals, listed once on their own).
func flagLines(fs, skip *flag.FlagSet, all bool) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 3, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		if !all && skip != nil && skip.Lookup(f.Name) != nil {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		prefix := "--"
		if len(f.Name) == 1 {
			prefix = "-"
		}
		left := prefix + f.Name
		if name != "" {
			left += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", left, usage)
	})
	tw.Flush()
	return b.String()
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
