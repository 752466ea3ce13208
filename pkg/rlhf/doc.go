// Package rlhf holds gotrl's training stages: pretraining (causal LM for
// decoders, masked LM for encoders, span corruption for T5), supervised
// fine-tuning and reward modelling. Each stage supplies only a loss (and an
// evaluation) to the one loop in package train, which owns optimization,
// checkpoints and logging.
package rlhf
