package data

// HubDataset names a data set on the Hugging Face Hub (org/name[@revision])
// or a local directory laid out like one, as TRL's example scripts take
// it: load_dataset(dataset_name, name=dataset_config), training on
// dataset_train_split and evaluating on dataset_test_split. The command
// resolves it to data files (train_file, validation_file) before a run;
// empty splits mean TRL's defaults, train and test.
type HubDataset struct {
	Name       string `yaml:"dataset_name"`
	Config     string `yaml:"dataset_config"`
	TrainSplit string `yaml:"dataset_train_split"`
	TestSplit  string `yaml:"dataset_test_split"`
}
