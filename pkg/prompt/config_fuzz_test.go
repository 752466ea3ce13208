package prompt

import (
	"os"
	"strings"
	"testing"
)

// FuzzParseConfig checks prompt files: no panic; every error names the
// file; and an accepted file has templates, each a valid template of its
// kind, and a verbalizer whose labels are distinct, each with words, and
// no word serving two labels.
func FuzzParseConfig(f *testing.F) {
	b, err := os.ReadFile("testdata/sentiment.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	v := "verbalizer:\n  labels:\n    a: [x]\n"
	for _, s := range []string{
		"templates:\n  - {name: t, kind: cloze, text: \"{mask}{x}\"}\n" + v,
		"templates:\n  - {name: t, kind: prefix, text: \"{x}\"}\nverbalizer:\n  labels:\n    正面: [很, 好]\n    负面: [不, 好]\n",
		"fields: [text_a]\ntemplates:\n  - name: t\n    kind: cloze\n    text: \"{mask}{txet_a}\"\n" + v,
		"templates:\n  - {name: t, kind: cloze, text: \"{mask}{x}\"}\nverbalizer:\n  labels: [a, b]\n",
		"templates:\n  - &t {name: t, kind: cloze, text: \"{mask}{x}\"}\n  - *t\n" + v,
		"templates: []\n" + v, "", "{", `{"templates": [{"name": "j", "kind": "cloze", "text": "{mask}{x}"}], "verbalizer": {"labels": {"a": ["x"]}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("p.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "p.yaml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if len(c.Templates) == 0 || c.Verbalizer == nil {
			t.Fatalf("accepted without templates or verbalizer: %+v", c)
		}
		for _, tpl := range c.Templates {
			if _, err := Parse(tpl.Name, tpl.String(), tpl.Kind); err != nil {
				t.Fatalf("template %q prints as %q, which does not parse: %v", tpl.Name, tpl.String(), err)
			}
		}
		v := c.Verbalizer
		owner := map[string]int{}
		for i, l := range v.Labels {
			if j := v.Index(l); j != i {
				t.Fatalf("label %q at %d and %d", l, j, i)
			}
			if len(v.Words[i]) == 0 {
				t.Fatalf("label %q has no words", l)
			}
			for _, w := range v.Words[i] {
				if j, ok := owner[w]; ok && j != i {
					t.Fatalf("word %q serves labels %q and %q", w, v.Labels[j], l)
				}
				owner[w] = i
			}
		}
	})
}
