"""The official metric of each task GPT-1 was fine-tuned on, as an `evaluate` module that loads from this folder.

    metric = evaluate.load(str(modeling_gpt1.metrics.METRIC_PATH), "mrpc")  # or modeling_gpt1.metrics.load_task_metric
    metric.compute(predictions=[0, 1, 1], references=[0, 1, 0])  # {"accuracy": 0.666..., "f1": 0.666...}

The values are scikit-learn's and scipy's, as in transformers' GLUE metric: the GLUE tasks keep GLUE's metrics
(Matthews correlation for CoLA, accuracy and F1 of class 1 for MRPC and QQP, Pearson and Spearman correlations
for STS-B, accuracy for the rest) and SNLI, SciTail, Story Cloze and RACE are scored by accuracy, as the paper
reports them. Accuracy and F1 are fractions in [0, 1], not percentages.
"""

import datasets
import evaluate
import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

# name -> function of (references, predictions); f1 is that of class 1, scikit-learn's default pos_label
METRICS = {
    "accuracy": accuracy_score,
    "f1": f1_score,
    "matthews_correlation": matthews_corrcoef,
    "pearson": lambda references, predictions: pearsonr(references, predictions)[0],
    "spearmanr": lambda references, predictions: spearmanr(references, predictions)[0],
}

# task -> (metrics, number of classes or answers); STS-B is a regression (None: any float)
TASKS = {
    "cola": (("matthews_correlation",), 2),
    "sst2": (("accuracy",), 2),
    "mrpc": (("accuracy", "f1"), 2),
    "stsb": (("pearson", "spearmanr"), None),
    "qqp": (("accuracy", "f1"), 2),
    "mnli": (("accuracy",), 3),
    "mnli_mismatched": (("accuracy",), 3),
    "qnli": (("accuracy",), 2),
    "rte": (("accuracy",), 2),
    "wnli": (("accuracy",), 2),
    "snli": (("accuracy",), 3),
    "scitail": (("accuracy",), 2),
    "story_cloze": (("accuracy",), 2),
    "race": (("accuracy",), 4),
    "winograd": (("accuracy",), 2),
}

_GPT1_CITATION = """\
@techreport{radford2018improving,
  title={Improving Language Understanding by Generative Pre-Training},
  author={Radford, Alec and Narasimhan, Karthik and Salimans, Tim and Sutskever, Ilya},
  institution={OpenAI},
  year={2018}
}
@article{scikit-learn,
  title={Scikit-learn: Machine Learning in {P}ython},
  author={Pedregosa, F. and Varoquaux, G. and Gramfort, A. and Michel, V. and Thirion, B. and Grisel, O. and
          Blondel, M. and Prettenhofer, P. and Weiss, R. and Dubourg, V. and Vanderplas, J. and Passos, A. and
          Cournapeau, D. and Brucher, M. and Perrot, M. and Duchesnay, E.},
  journal={Journal of Machine Learning Research},
  volume={12},
  pages={2825--2830},
  year={2011}
}
"""

_GLUE_CITATION = """\
@inproceedings{wang2019glue,
  title={{GLUE}: A Multi-Task Benchmark and Analysis Platform for Natural Language Understanding},
  author={Wang, Alex and Singh, Amanpreet and Michael, Julian and Hill, Felix and Levy, Omer and Bowman, Samuel R.},
  booktitle={International Conference on Learning Representations},
  year={2019}
}
"""

_DATASET_CITATIONS = {
    "snli": """\
@inproceedings{bowman2015large,
  title={A large annotated corpus for learning natural language inference},
  author={Bowman, Samuel R. and Angeli, Gabor and Potts, Christopher and Manning, Christopher D.},
  booktitle={Proceedings of the 2015 Conference on Empirical Methods in Natural Language Processing},
  year={2015}
}
""",
    "scitail": """\
@inproceedings{khot2018scitail,
  title={{SciTail}: A Textual Entailment Dataset from Science Question Answering},
  author={Khot, Tushar and Sabharwal, Ashish and Clark, Peter},
  booktitle={Proceedings of the AAAI Conference on Artificial Intelligence},
  year={2018}
}
""",
    "story_cloze": """\
@inproceedings{mostafazadeh2016corpus,
  title={A Corpus and Cloze Evaluation for Deeper Understanding of Commonsense Stories},
  author={Mostafazadeh, Nasrin and Chambers, Nathanael and He, Xiaodong and Parikh, Devi and Batra, Dhruv and
          Vanderwende, Lucy and Kohli, Pushmeet and Allen, James},
  booktitle={Proceedings of NAACL-HLT},
  year={2016}
}
""",
    "race": """\
@inproceedings{lai2017race,
  title={{RACE}: Large-scale ReAding Comprehension Dataset From Examinations},
  author={Lai, Guokun and Xie, Qizhe and Liu, Hanxiao and Yang, Yiming and Hovy, Eduard},
  booktitle={Proceedings of the 2017 Conference on Empirical Methods in Natural Language Processing},
  year={2017}
}
""",
}

_DESCRIPTION = """\
The official metric of each task of GPT-1's fine-tuning (Radford et al., 2018): the GLUE tasks with GLUE's metrics,
SNLI, SciTail, Story Cloze and RACE with accuracy. The config name is the task: one of
""" + ", ".join(TASKS)

_KWARGS_DESCRIPTION = """
Args:
    predictions: the predicted class (index of the chosen answer for story_cloze and race), or for stsb the
        predicted score.
    references: the gold class, answer index or (stsb) score.
Returns:
    accuracy: fraction of predictions equal to the reference (all tasks but cola and stsb).
    f1: F1 score of class 1 (mrpc, qqp).
    matthews_correlation: Matthews correlation coefficient (cola).
    pearson: Pearson correlation (stsb).
    spearmanr: Spearman rank correlation (stsb).
Examples:
    >>> metric = evaluate.load(str(modeling_gpt1.metrics.METRIC_PATH), "mrpc")
    >>> metric.compute(predictions=[0, 1, 1, 0], references=[0, 1, 0, 0])
    {'accuracy': 0.75, 'f1': 0.6666666666666666}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Gpt1Tasks(evaluate.Metric):
    """The metrics of one GPT-1 fine-tuning task, chosen by the config name."""

    def _info(self):
        if self.config_name not in TASKS:
            raise ValueError(f"Unknown task {self.config_name!r}: the config name must be one of {', '.join(TASKS)}")
        # float64, not GLUE's float32, so that STS-B scores reach scipy unrounded
        value = "float64" if self.config_name == "stsb" else "int64"
        citation = _DATASET_CITATIONS.get(self.config_name, _GLUE_CITATION)
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_GPT1_CITATION + citation,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value(value), "references": datasets.Value(value)}),
            reference_urls=["https://github.com/openai/finetune-transformer-lm", "https://gluebenchmark.com/"],
        )

    def _finalize(self):
        # evaluate itself fails with an AttributeError when an in-memory module is computed with nothing added
        if self.writer is None and self.num_process == 1:
            raise ValueError(f"No predictions to score for {self.config_name}: add at least one example")
        super()._finalize()

    def _compute(self, predictions, references):
        if len(predictions) == 0:
            raise ValueError(f"No predictions to score for {self.config_name}: add at least one example")
        # lists from evaluate, not its "numpy" format, which would round STS-B's float64 scores to float32
        predictions, references = np.asarray(predictions), np.asarray(references)
        names, num_classes = TASKS[self.config_name]
        if num_classes is not None:
            for name, values in (("predictions", predictions), ("references", references)):
                outside = sorted(set(values[(values < 0) | (values >= num_classes)].tolist()))
                if outside:
                    raise ValueError(f"{name} of {self.config_name} must lie in 0..{num_classes - 1}; found {outside}")
        return {name: float(METRICS[name](references, predictions)) for name in names}
