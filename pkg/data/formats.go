package data

import (
	"fmt"
	"strings"
)

// Stage names what a data file trains: the record layouts differ by stage.
type Stage string

const (
	StageSFT        Stage = "sft"        // ReadSFT
	StagePreference Stage = "preference" // ReadPreference
	StageRanked     Stage = "ranked"     // ReadRanked
	StagePrompts    Stage = "prompts"    // ReadPrompts
)

// Schema is one field set a stage accepts; the schemas are documented once,
// here, for the readers' errors, each command's --help and the README.
type Schema struct {
	Stage   Stage
	Fields  []string // the fields that select this schema
	Example string   // one JSONL record
	Doc     string   // what becomes of it
}

// schemas lists every stage's field sets, in the order a record is matched.
var schemas = []Schema{
	{StageSFT, []string{"messages"},
		`{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}`,
		"a conversation rendered with the tokenizer's chat template; the last turn (the assistant's) is learned"},
	{StageSFT, []string{"prompt", "completion"},
		`{"prompt":"1+1=","completion":"2"}`,
		"TRL prompt-completion, strings or lists of messages; the completion is learned"},
	{StageSFT, []string{"prompt", "response"},
		`{"prompt":"1+1=","response":"2"}`,
		"the same with gotrl's earlier name for the completion"},
	{StageSFT, []string{"text"},
		`{"text":"The whole text is learned."}`,
		"TRL language modeling: every token is learned"},
	{StagePreference, []string{"prompt", "chosen", "rejected"},
		`{"prompt":"1+1=","chosen":"2","rejected":"3"}`,
		"strings, or lists of messages (rendered with the chat template)"},
	{StagePreference, []string{"chosen", "rejected"},
		`{"chosen":"Q: 1+1= A: 2","rejected":"Q: 1+1= A: 3"}`,
		"TRL's implicit prompt: the shared beginning (text or turns) is the prompt"},
	{StageRanked, []string{"prompt", "responses"},
		`{"prompt":"1+1=","responses":["2","3","eleven"]}`,
		"responses best first; each ordered pair trains the reward model"},
	{StagePrompts, []string{"prompt"},
		`{"prompt":"1+1="}`,
		"PPO prompts, a string or a list of messages (rendered with the generation prompt)"},
}

// Schemas returns the field sets of a stage, in matching order.
func Schemas(stage Stage) []Schema {
	var out []Schema
	for _, s := range schemas {
		if s.Stage == stage {
			out = append(out, s)
		}
	}
	return out
}

// FilesHelp describes the file formats every reader takes.
const FilesHelp = `Data files: .jsonl (one object per line), .json (an array of objects, or the SQuAD layout),
.csv and .tsv (a header row), .parquet (as HF datasets' Dataset.to_parquet writes it), .arrow and
Dataset.save_to_disk directories (DIR, or DIR/train of a DatasetDict); the text formats also
compressed (.jsonl.gz, .json.bz2, .csv.xz, .jsonl.zst). Several files of one data set are read in
order; a glob pattern ('data/train-*.jsonl', 'shards/**/*.parquet') reads its matches, sorted.
--field NAME=FILE_FIELD reads the file's FILE_FIELD (a.b for nested objects) as NAME.
An optional "group" field keeps related records on one side of the eval split.`

// Formats describes the accepted records of the given stages (all stages
// when none is given) after FilesHelp: the text for a command's --help and
// the README's "Data formats" section.
func Formats(stages ...Stage) string {
	if len(stages) == 0 {
		stages = []Stage{StageSFT, StagePreference, StageRanked, StagePrompts}
	}
	var b strings.Builder
	b.WriteString(FilesHelp)
	b.WriteString("\n")
	for _, st := range stages {
		sets := Schemas(st)
		fmt.Fprintf(&b, "\n%s records", st)
		if len(sets) > 1 {
			b.WriteString(" (the first field set a record has is used)")
		}
		b.WriteString(":\n")
		for _, s := range sets {
			fmt.Fprintf(&b, "  %-26s %s\n  %-26s %s\n", strings.Join(s.Fields, ", "), s.Doc, "", s.Example)
		}
	}
	b.WriteString("\nMessages are {\"role\",\"content\"} objects; they are rendered with the chat_template of the\n" +
		"tokenizer's tokenizer_config.json (or chat_template.jinja), else with built-in ChatML.\n")
	return b.String()
}

// noFieldSet is the error for a record that fits none of a stage's schemas.
func noFieldSet(r Record, stage Stage) error {
	sets := make([]string, 0, 4)
	for _, s := range Schemas(stage) {
		q := make([]string, len(s.Fields))
		for i, f := range s.Fields {
			q[i] = fmt.Sprintf("%q", f)
		}
		sets = append(sets, "{"+strings.Join(q, ", ")+"}")
	}
	return &RecordError{Pos: r.Pos, Err: fmt.Errorf("no %s field set: want %s (rename with --field NAME=FILE_FIELD); the record has %s",
		stage, strings.Join(sets, " or "), fieldList(r))}
}
