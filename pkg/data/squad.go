package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// readSQuAD reads the SQuAD layout (CMRC2018 uses it) and emits one record
// per question, flattened so a task builder sees plain fields:
//
//	question, id, answers      from the qas item
//	context, paragraph_id      from its paragraph
//	title, article_id          from its article (article_id groups splits)
//
// Records are located by JSON path, data[i].paragraphs[j].qas[k], since the
// file is one JSON document. A structural problem inside one article (a
// paragraph that is not an object) is a RecordError for that record.
func readSQuAD(r io.Reader, path string, emit emitFunc) error {
	data, err := readDocument(r, path)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("%s:%d: malformed JSON: %w", path, lineOf(data, se.Offset), err)
		}
		return fmt.Errorf("%s: SQuAD layout: %w", path, err)
	}
	articles, ok := doc["data"].([]any)
	if !ok {
		return fmt.Errorf("%s: SQuAD layout: field \"data\": missing or not an array", path)
	}
	for i, a := range articles {
		apath := fmt.Sprintf("data[%d]", i)
		art, _ := a.(map[string]any)
		paras, ok := art["paragraphs"].([]any)
		if !ok {
			bad := &RecordError{Pos: Pos{File: path, Path: apath}, Field: "paragraphs", Err: errors.New("missing or not an array")}
			if err := emit(Record{}, bad); err != nil {
				return err
			}
			continue
		}
		for j, p := range paras {
			if err := emitParagraph(p, art, Pos{File: path, Path: fmt.Sprintf("%s.paragraphs[%d]", apath, j)}, emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// emitParagraph emits the questions of one paragraph.
func emitParagraph(p any, art map[string]any, pos Pos, emit emitFunc) error {
	para, _ := p.(map[string]any)
	qas, ok := para["qas"].([]any)
	if !ok {
		return emit(Record{}, &RecordError{Pos: pos, Field: "qas", Err: errors.New("missing or not an array")})
	}
	for k, q := range qas {
		qpos := pos
		qpos.Path = fmt.Sprintf("%s.qas[%d]", pos.Path, k)
		qa, ok := q.(map[string]any)
		if !ok {
			if err := emit(Record{}, &RecordError{Pos: qpos, Err: fmt.Errorf("got a JSON %s, want an object", jsonType(q))}); err != nil {
				return err
			}
			continue
		}
		fields := map[string]any{}
		for key, v := range qa {
			fields[key] = v
		}
		copyField(fields, "context", para, "context")
		copyField(fields, "paragraph_id", para, "id")
		copyField(fields, "title", art, "title")
		copyField(fields, "article_id", art, "id")
		if err := emit(Record{Pos: qpos, Fields: fields}, nil); err != nil {
			return err
		}
	}
	return nil
}

// copyField copies src[from] to dst[to] when present, leaving absent fields
// absent so accessors report them as missing.
func copyField(dst map[string]any, to string, src map[string]any, from string) {
	if v, ok := src[from]; ok {
		dst[to] = v
	}
}
