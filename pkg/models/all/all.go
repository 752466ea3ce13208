// Package all registers every model family gotrl has with pkg/models
// (GPT-2, BERT with RoBERTa and XLM-RoBERTa, T5/mT5) and the PEFT adapter loader, as image/png
// registers a decoder: import it for
// its side effect where a program or package loads models by config.json.
//
//	import _ "github.com/gotrl/gotrl/pkg/models/all"
package all

import (
	_ "github.com/gotrl/gotrl/pkg/models/bert"
	_ "github.com/gotrl/gotrl/pkg/models/gpt2"
	_ "github.com/gotrl/gotrl/pkg/models/lora" // PEFT adapter directories
	_ "github.com/gotrl/gotrl/pkg/models/t5"
)
