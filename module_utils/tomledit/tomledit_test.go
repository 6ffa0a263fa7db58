package tomledit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func parse(t *testing.T, src string) *Doc {
	t.Helper()
	d, err := Parse([]byte(src))
	require.NoError(t, err)
	return d
}

func TestParseMalformed(t *testing.T) {
	for _, tc := range []struct{ name, src, where string }{
		{"unclosed array", "a = 1\nb = [\n  1,\n\n", "line 4, column 1"},
		{"duplicate key", "x = 1\nx = 2\n", "line 2, column 1"},
		{"bad escape", "a = \"\\q\"\n", "line 1, column 6"},
		{"table redefined", "[a]\n[a]\n", "line 2, column 2"},
		{"dotted then header", "a.b = 1\n[a]\n", "line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src))
			require.ErrorIs(t, err, ErrMalformed)
			require.Contains(t, err.Error(), tc.where)
		})
	}
}

func TestParseEmpty(t *testing.T) {
	d := parse(t, "")
	require.Empty(t, d.Tables())
	require.Empty(t, d.Root().KeyValues)
	require.Empty(t, d.Data())
}

func TestParseLocations(t *testing.T) {
	src := "# top\nname = 'x' # trailing\nlist = [\n  \"a\", # one\n  'b',\n]\n\n[registry.\"docker.io\"]\n  mirrors = [\"m\"]\n"
	d := parse(t, src)
	name := d.Root().Get("name")
	require.NotNil(t, name)
	require.Equal(t, "name = 'x' # trailing\n", src[name.Start:name.End])
	require.Equal(t, "'x'", src[name.ValueStart:name.ValueEnd])
	s, ok := name.String()
	require.True(t, ok)
	require.Equal(t, "x", s)

	list := d.Root().Get("list")
	require.Equal(t, "[\n  \"a\", # one\n  'b',\n]", src[list.ValueStart:list.ValueEnd])
	l, ok := list.Strings()
	require.True(t, ok)
	require.Equal(t, []string{"a", "b"}, l)
	require.Equal(t, list.End, d.Root().End)

	tbl := d.Table("registry", "docker.io")
	require.NotNil(t, tbl)
	require.Equal(t, "[registry.\"docker.io\"]\n", src[tbl.Start:tbl.HeaderEnd])
	require.Equal(t, len(src), tbl.End)
	require.Equal(t, Path{"registry", "docker.io", "mirrors"}, tbl.Get("mirrors").Path)
	require.Nil(t, d.Table("registry"), "[registry] is only implied")
}

func TestParsePaths(t *testing.T) {
	src := `[[registry]]
prefix = "a"
[[registry.mirror]]
location = "a1"
[[registry.mirror]]
location = "a2"
[[registry]]
prefix = "b"
[registry.extra]
x = 1
[[registry.mirror]]
location = "b1"
`
	d := parse(t, src)
	regs := d.ArrayTables("registry")
	require.Len(t, regs, 2)
	require.Equal(t, Path{"registry", 1}, regs[1].Path)
	var got []string
	for _, r := range regs {
		for _, m := range d.Children(r, "mirror") {
			loc, _ := m.Get("location").String()
			got = append(got, m.Path.String()+"="+loc)
		}
	}
	require.Equal(t, []string{"registry[0].mirror[0]=a1", "registry[0].mirror[1]=a2", "registry[1].mirror[0]=b1"}, got)
	require.Equal(t, Path{"registry", 1, "extra"}, d.Table("registry", "extra").Path)
	require.Equal(t, len(src), d.subtreeEnd(regs[1]))
	require.Equal(t, regs[1].Start, d.subtreeEnd(regs[0]))
}

func TestSetValue(t *testing.T) {
	src := "# comment\nkeep = 'as is'   # note\nlist = ['docker.io'] # why\n\n[t]\nx = 1\n"
	d := parse(t, src)
	nd, err := d.SetValue(d.Root().Get("list"), []string{"quay.io", `we"ird\`})
	require.NoError(t, err)
	require.Equal(t, "# comment\nkeep = 'as is'   # note\nlist = [\"quay.io\", \"we\\\"ird\\\\\"] # why\n\n[t]\nx = 1\n",
		string(nd.Bytes()))
	v, _ := nd.Root().Get("list").Strings()
	require.Equal(t, []string{"quay.io", `we"ird\`}, v)
	require.Equal(t, src, string(d.Bytes()), "the old Doc is unchanged")
}

func TestInsertKeyValue(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
		table           []string // nil: top level
	}{
		{"top level after its key-values", "a = 1\n# c\n[t]\nx = 1\n", "a = 1\nk = \"v\"\n# c\n[t]\nx = 1\n", nil},
		{"top level before the comments above the first header",
			"# file\n\n# about t\n[t]\nx = 1\n", "# file\n\nk = \"v\"\n\n# about t\n[t]\nx = 1\n", nil},
		{"top level of a comments-only file", "# only\n# comments", "# only\n# comments\n\nk = \"v\"\n", nil},
		{"empty file", "", "k = \"v\"\n", nil},
		{"table keeps indentation", "[t]\n  x = 1\n\n[u]\n", "[t]\n  x = 1\n  k = \"v\"\n\n[u]\n", []string{"t"}},
		{"table without key-values", "[t]\n[u]\n", "[t]\nk = \"v\"\n[u]\n", []string{"t"}},
		{"last line unterminated", "[t]\nx = 1", "[t]\nx = 1\nk = \"v\"\n", []string{"t"}},
		{"CRLF", "[t]\r\nx = 1\r\n", "[t]\r\nx = 1\r\nk = \"v\"\r\n", []string{"t"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := parse(t, tc.src)
			tbl := d.Root()
			if tc.table != nil {
				tbl = d.Table(tc.table...)
			}
			nd, err := d.InsertKeyValue(tbl, "k", "v")
			require.NoError(t, err)
			require.Equal(t, tc.want, string(nd.Bytes()))
		})
	}
}

func TestInsertKeyValueAlreadyDefined(t *testing.T) {
	// k is defined by a dotted key under [t], not as a key-value of [t.k]'s
	// parent the splicer sees; inserting it again must fail.
	d := parse(t, "[t]\nk.x = 1\n")
	_, err := d.InsertKeyValue(d.Table("t"), "k", "v")
	require.ErrorIs(t, err, ErrUnexpectedResult)
}

func TestInsertTablesFirstChild(t *testing.T) {
	src := "[[registry]]\nlocation = \"docker.io\"\n# the site's mirror\n[[registry.mirror]]\nlocation = \"site\"\n"
	d := parse(t, src)
	reg := d.ArrayTables("registry")[0]
	nd, err := d.InsertTables(reg.End, Block{Key: []string{"registry", "mirror"}, Array: true,
		Fields: []Field{{"location", "ours"}}})
	require.NoError(t, err)
	require.Equal(t, "[[registry]]\nlocation = \"docker.io\"\n[[registry.mirror]]\nlocation = \"ours\"\n"+
		"# the site's mirror\n[[registry.mirror]]\nlocation = \"site\"\n", string(nd.Bytes()))
	mirrors := nd.Children(nd.ArrayTables("registry")[0], "mirror")
	require.Len(t, mirrors, 2)
	loc, _ := mirrors[0].Get("location").String()
	require.Equal(t, "ours", loc)
}

func TestInsertTablesBetweenKeyValuesIsRefused(t *testing.T) {
	// A header written between two key-values would take the second one
	// away from its table: the semantic check must catch it.
	d := parse(t, "[[registry]]\nprefix = \"a\"\nlocation = \"a\"\n")
	reg := d.ArrayTables("registry")[0]
	_, err := d.InsertTables(reg.KeyValues[0].End, Block{Key: []string{"registry", "mirror"}, Array: true,
		Fields: []Field{{"location", "m"}}})
	require.ErrorIs(t, err, ErrUnexpectedResult)
}

func TestInsertTablesInsideValueIsRefused(t *testing.T) {
	src := "a = [\n  1,\n]\n"
	d := parse(t, src)
	_, err := d.InsertTables(strings.Index(src, "  1"), Block{Key: []string{"t"}})
	require.Error(t, err)
	require.Contains(t, err.Error(), "inside a")
}

func TestAppendTables(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"empty", "", "[[registry]]\nprefix = \"q\"\n"},
		{"after content", "a = 1\n", "a = 1\n\n[[registry]]\nprefix = \"q\"\n"},
		{"after a blank line", "a = 1\n\n", "a = 1\n\n[[registry]]\nprefix = \"q\"\n"},
		{"unterminated", "a = 1", "a = 1\n\n[[registry]]\nprefix = \"q\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nd, err := parse(t, tc.src).AppendTables(Block{Key: []string{"registry"}, Array: true,
				Fields: []Field{{"prefix", "q"}}})
			require.NoError(t, err)
			require.Equal(t, tc.want, string(nd.Bytes()))
		})
	}
}

func TestAppendTablesOverDottedKeysIsRefused(t *testing.T) {
	for _, src := range []string{
		"registry.\"docker.io\".mirrors = [\"a\"]\n",
		"[registry]\n\"docker.io\" = { mirrors = [\"a\"] }\n",
		"[[registry]]\nmirror = [{ location = \"a\" }]\n",
	} {
		d := parse(t, src)
		_, err := d.AppendTables(Block{Key: []string{"registry", "docker.io"}, Fields: []Field{{"ca", []string{"x"}}}})
		if strings.HasPrefix(src, "[[") {
			reg := d.ArrayTables("registry")[0]
			_, err = d.InsertTables(reg.End, Block{Key: []string{"registry", "mirror"}, Array: true})
		}
		require.ErrorIs(t, err, ErrUnexpectedResult, src)
	}
}

func TestMoveTable(t *testing.T) {
	src := "[[registry]]\nlocation = \"docker.io\"\n\n[[registry.mirror]]\nlocation = \"site\"\n" +
		"[[registry.mirror]]\nlocation = \"ours\"\ninsecure = true\n"
	d := parse(t, src)
	reg := d.ArrayTables("registry")[0]
	ours := d.Children(reg, "mirror")[1]
	nd, err := d.MoveTable(ours, reg.End)
	require.NoError(t, err)
	require.Equal(t, "[[registry]]\nlocation = \"docker.io\"\n[[registry.mirror]]\nlocation = \"ours\"\ninsecure = true\n"+
		"\n[[registry.mirror]]\nlocation = \"site\"\n", string(nd.Bytes()))

	back, err := nd.MoveTable(nd.Children(nd.ArrayTables("registry")[0], "mirror")[0], len(nd.Bytes()))
	require.NoError(t, err)
	locs := []string{}
	for _, m := range back.Children(back.ArrayTables("registry")[0], "mirror") {
		l, _ := m.Get("location").String()
		locs = append(locs, l)
	}
	require.Equal(t, []string{"site", "ours"}, locs)
}

func TestDeleteTableRoundTrip(t *testing.T) {
	src := "# head\nx = 1\n"
	d := parse(t, src)
	added, err := d.AppendTables(
		Block{Key: []string{"registry"}, Array: true, Fields: []Field{{"prefix", "q"}}},
		Block{Key: []string{"registry", "mirror"}, Array: true, Fields: []Field{{"location", "m"}}},
	)
	require.NoError(t, err)
	removed, err := added.DeleteTable(added.ArrayTables("registry")[0])
	require.NoError(t, err)
	require.Equal(t, src, string(removed.Bytes()))
}

func TestDeleteTableKeepsNeighbours(t *testing.T) {
	src := "[a]\nx = 1\n\n[b]\ny = 2\n\n[c]\nz = 3\n"
	d := parse(t, src)
	nd, err := d.DeleteTable(d.Table("b"))
	require.NoError(t, err)
	require.Equal(t, "[a]\nx = 1\n\n[c]\nz = 3\n", string(nd.Bytes()))
	nd, err = d.DeleteTable(d.Table("a"))
	require.NoError(t, err)
	require.Equal(t, "[b]\ny = 2\n\n[c]\nz = 3\n", string(nd.Bytes()))
}

func TestDeleteTableWithDistantSubtableIsRefused(t *testing.T) {
	// [a.b] is not written right after [a]: removing [a]'s text alone
	// would leave a half of it.
	d := parse(t, "[a]\nx = 1\n[z]\n[a.b]\ny = 1\n")
	_, err := d.DeleteTable(d.Table("a"))
	require.ErrorIs(t, err, ErrUnexpectedResult)
}

func TestDeleteKeyValue(t *testing.T) {
	d := parse(t, "[t]\nx = 1 # one\ny = 2\n")
	nd, err := d.DeleteKeyValue(d.Table("t").Get("x"))
	require.NoError(t, err)
	require.Equal(t, "[t]\ny = 2\n", string(nd.Bytes()))
}

func TestRenderStringRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "tab\tnew\nline\r", "\x00\x1f\x7f", "ünïcødé ✓", "'single'"} {
		text, err := renderString(s)
		require.NoError(t, err)
		d := parse(t, "k = "+text+"\n")
		got, ok := d.Root().Get("k").String()
		require.True(t, ok)
		require.Equal(t, s, got)
	}
	_, err := renderString("bad \xff")
	require.Error(t, err)
}

func TestRenderKey(t *testing.T) {
	require.Equal(t, "registry", renderKey("registry"))
	require.Equal(t, `"docker.io"`, renderKey("docker.io"))
	require.Equal(t, `""`, renderKey(""))
	require.Equal(t, `registry."docker.io"[1]`, Path{"registry", "docker.io", 1}.String())
}

func TestFirstChildOffsetKeepsSpacing(t *testing.T) {
	src := "[[registry]]\nlocation = \"docker.io\"\n\n[[registry.mirror]]\nlocation = \"site\"\n"
	d := parse(t, src)
	reg := d.ArrayTables("registry")[0]
	at := d.FirstChildOffset(reg, "mirror")
	require.Equal(t, strings.Index(src, "[[registry.mirror]]"), at)
	nd, err := d.InsertTables(at, Block{Key: []string{"registry", "mirror"}, Array: true,
		Fields: []Field{{"location", "ours"}}})
	require.NoError(t, err)
	require.Equal(t, "[[registry]]\nlocation = \"docker.io\"\n\n[[registry.mirror]]\nlocation = \"ours\"\n\n"+
		"[[registry.mirror]]\nlocation = \"site\"\n", string(nd.Bytes()))

	// A comment between the entry and its mirrors stays with the mirror
	// it describes: the new one goes above it.
	src = "[[registry]]\nlocation = \"docker.io\"\n# site\n[[registry.mirror]]\nlocation = \"site\"\n"
	d = parse(t, src)
	require.Equal(t, d.ArrayTables("registry")[0].End, d.FirstChildOffset(d.ArrayTables("registry")[0], "mirror"))
}

func TestAppendTablesCRLF(t *testing.T) {
	d := parse(t, "a = 1\r\n")
	nd, err := d.AppendTables(Block{Key: []string{"t"}, Fields: []Field{{"k", []string{"x", "y"}}}})
	require.NoError(t, err)
	require.Equal(t, "a = 1\r\n\r\n[t]\r\nk = [\"x\", \"y\"]\r\n", string(nd.Bytes()))
}

func TestEditKeepsSpecialValues(t *testing.T) {
	// NaN is not equal to itself: the check that nothing else changed must
	// still accept a document holding one.
	d := parse(t, "n = nan\nd = 1979-05-27T07:32:00-08:00\nl = 1979-05-27\n")
	nd, err := d.InsertKeyValue(d.Root(), "k", "v")
	require.NoError(t, err)
	require.Equal(t, "n = nan\nd = 1979-05-27T07:32:00-08:00\nl = 1979-05-27\nk = \"v\"\n", string(nd.Bytes()))
}
