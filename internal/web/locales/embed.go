// Package locales holds the web client's message catalogues: one TOML file
// per area and language, <area>.<lang>.toml (lang: en, sr-Latn, sq, mk).
// An area's four files are added together; the catalogue test fails on a
// key missing in any language.
package locales

import "embed"

// FS is every catalogue file.
//
//go:embed *.toml
var FS embed.FS
