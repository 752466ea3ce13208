package prompt

import (
	"reflect"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	c, err := LoadConfig("testdata/sentiment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tpl := range c.Templates {
		got = append(got, tpl.Name+" "+tpl.Kind.String()+" "+tpl.String())
	}
	want := []string{
		"book cloze {mask}满意。{text_a|trunc}",
		"summary cloze {text_a|trunc}总之，{mask}满意。",
		"gpt prefix 评论：{text_a|trunc}\n情感：{mask}",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("templates\n got %q\nwant %q", got, want)
	}
	wantV := &Verbalizer{Labels: []string{"正面", "负面"}, Words: [][]string{{"很", "非常"}, {"不"}}, WordAgg: Mean, LabelAgg: Max}
	if !reflect.DeepEqual(c.Verbalizer, wantV) {
		t.Errorf("verbalizer %+v, want %+v", c.Verbalizer, wantV)
	}
	if !reflect.DeepEqual(c.ContentFree, []string{"N/A", ""}) {
		t.Errorf("content_free %q", c.ContentFree)
	}
}

func TestParseConfigJSON(t *testing.T) {
	src := `{"templates": [{"name": "t", "kind": "prefix", "text": "Review: {text_a} Sentiment:"}],
	         "verbalizer": {"labels": {"positive": [" great"], "negative": [" terrible"]}}}`
	c, err := ParseConfig("p.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.Templates[0].String() != "Review: {text_a} Sentiment:{mask}" || c.Verbalizer.Labels[1] != "negative" || c.Verbalizer.WordAgg != Mean {
		t.Errorf("got %v %+v", c.Templates[0], c.Verbalizer)
	}
}

func TestParseConfigErrors(t *testing.T) {
	v := "verbalizer:\n  labels:\n    a: [x]\n"
	tests := []struct {
		name, src, want string
	}{
		{"empty", "", "p.yaml: empty file"},
		{"no templates", v, "p.yaml: no templates"},
		{"unknown top key", "template: []\n" + v, "p.yaml: yaml: unmarshal errors:\n  line 1: field template not found in type prompt.configFile"},
		{"unknown template key", "templates:\n  - name: t\n    txt: x\n" + v, "p.yaml: line 3: unknown key \"txt\" (known: [name kind text])"},
		{"syntax error with file line", "fields: [text_a]\ntemplates:\n  - name: t\n    kind: cloze\n    text: \"{mask}{txet_a}\"\n" + v,
			`p.yaml:3: t:1:8: unknown placeholder "{txet_a}" (did you mean "{text_a}"?)`},
		{"bad kind", "templates:\n  - name: t\n    kind: mlm\n    text: \"{mask}{x}\"\n" + v,
			`p.yaml:2: template "t": unknown template kind "mlm" (want cloze or prefix)`},
		{"duplicate name", "templates:\n  - {name: t, kind: cloze, text: \"{mask}{x}\"}\n  - {name: t, kind: cloze, text: \"{x}{mask}\"}\n" + v,
			`p.yaml:3: duplicate template name "t"`},
		{"no verbalizer", "templates:\n  - {name: t, kind: cloze, text: \"{mask}{x}\"}\n", "p.yaml: no verbalizer"},
		{"labels as a list", "templates:\n  - {name: t, kind: cloze, text: \"{mask}{x}\"}\nverbalizer:\n  labels: [a, b]\n",
			"p.yaml:4: verbalizer: labels must map each label to its label words"},
		{"words not a list", "templates:\n  - {name: t, kind: cloze, text: \"{mask}{x}\"}\nverbalizer:\n  labels:\n    a: {x: 1}\n",
			"p.yaml:5: verbalizer: label \"a\": want a list of words: yaml: unmarshal errors:\n  line 5: cannot unmarshal !!map into []string"},
		{"shared label word", "templates:\n  - {name: t, kind: cloze, text: \"{mask}{x}\"}\nverbalizer:\n  labels:\n    正面: [很, 好]\n    负面: [不, 好]\n",
			`p.yaml:5: verbalizer: labels "正面" and "负面" share the label word "好"; give each label its own words`},
		{"bad aggregation", "templates:\n  - {name: t, kind: cloze, text: \"{mask}{x}\"}\nverbalizer:\n  word_agg: sum\n  labels:\n    a: [x]\n",
			`p.yaml:6: verbalizer: unknown word aggregation "sum" (want first, mean or max)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("p.yaml", []byte(tt.src))
			if err == nil || err.Error() != tt.want {
				t.Errorf("err =\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
}
