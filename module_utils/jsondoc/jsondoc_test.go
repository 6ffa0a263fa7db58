package jsondoc

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseKeepsOrderAndValues(t *testing.T) {
	in := "{\n\t\"z\": 1,\n\t\"a\": {\"y\": [1, 2.50, \"s\"], \"b\": null},\n\t\"m\": true\n}\n"
	o, err := Parse([]byte(in))
	require.NoError(t, err)
	require.Equal(t, []string{"z", "a", "m"}, o.Keys())
	out, err := Format(o, Indent([]byte(in), "    "))
	require.NoError(t, err)
	require.Equal(t, "{\n\t\"z\": 1,\n\t\"a\": {\n\t\t\"y\": [\n\t\t\t1,\n\t\t\t2.50,\n\t\t\t\"s\"\n\t\t],\n\t\t\"b\": null\n\t},\n\t\"m\": true\n}\n", string(out))
}

func TestParseEmptyIsEmptyObject(t *testing.T) {
	for _, in := range []string{"", "  \n"} {
		o, err := Parse([]byte(in))
		require.NoError(t, err)
		require.Empty(t, o.Keys())
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string]string{
		"{\"a\": 1,\n  \"b\": [\n": "malformed JSON at line 2: unexpected end of input",
		"[1, 2]":                   "the top-level value is a list, not an object",
		"{\"a\": 1} {\"b\": 2}":    "trailing data",
		"{\"a\": 1, \"a\": 2}":     `duplicate key "a"`,
		"{\n\"a\": 1,\n\"b\": x}":  "malformed JSON at line 3",
		"\"text\"":                 "is a string, not an object",
	}
	for in, want := range cases {
		_, err := Parse([]byte(in))
		require.ErrorContains(t, err, want, "input %q", in)
	}
}

func TestSetDeleteAndEqual(t *testing.T) {
	o, err := Parse([]byte(`{"a": 1, "b": [1, 2], "c": {"x": 1, "y": 2}}`))
	require.NoError(t, err)
	o.Set("a", 2)
	o.Set("d", map[string]any{"k2": 1, "k1": []string{"v"}})
	require.True(t, o.Delete("b"))
	require.False(t, o.Delete("nope"))
	require.Equal(t, []string{"a", "c", "d"}, o.Keys())
	b, err := o.MarshalJSON()
	require.NoError(t, err)
	require.Equal(t, `{"a":2,"c":{"x":1,"y":2},"d":{"k1":["v"],"k2":1}}`, string(b))

	c, _ := o.Get("c")
	require.True(t, Equal(c, map[string]any{"y": 2, "x": 1.0}))
	require.False(t, Equal(c, map[string]any{"x": 1}))
	require.True(t, Equal([]any{"a", 1}, []any{"a", 1.0}))
	require.False(t, Equal([]any{"a"}, "a"))
	require.False(t, Equal(true, "true"))
}

func TestFormatDoesNotEscapeHTML(t *testing.T) {
	o := NewObject()
	o.Set("url", "https://h/<a>&b")
	out, err := Format(o, "  ")
	require.NoError(t, err)
	require.Equal(t, "{\n  \"url\": \"https://h/<a>&b\"\n}\n", string(out))
}
