// Package tomledit edits TOML configuration files (containers'
// registries.conf, buildkitd.toml) in place, so that everything an edit does
// not touch - comments, blank lines, key order, quoting, other tables - comes
// back byte for byte.
//
// A Doc is parsed once into a map of where each table header and key-value
// sits in the text (go-toml's unstable parser gives the byte ranges), and an
// edit splices new text into the old. Decoding into Go values and encoding
// again would lose the comments of a distribution's default file and flip
// quoting between runs.
//
// Splicing is only as right as the map of the text, and TOML can say the
// same thing in several forms (a [table] header, dotted keys, an inline
// table). So every edit re-parses its result and checks that the decoded
// document is exactly the old one with the asked change applied; when it is
// not - the file wrote the part being edited in a form the splicer does not
// handle - the edit fails with ErrUnexpectedResult instead of returning a
// wrong document.
package tomledit
