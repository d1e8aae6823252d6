import { attr, encodeOnnxModel } from './onnx-writer.js';
import type { LogisticRegression } from './train-logistic.js';

/**
 * Exports a trained LogisticRegression as ONNX: standardization (`Sub`, `Div`), then
 * `MatMul` + `Add` + `Softmax` for `probabilities` [N, C] and `ArgMax` for `label` [N] (the
 * class index). Class names and feature names go into the model's metadata as JSON arrays
 * (`classes`, `features`), since no standard operator here carries them.
 */
export function exportLogisticRegression(model: LogisticRegression, featureNames: string[]): Uint8Array {
  const features = model.mean.length;
  const classes = model.classes.length;
  if (featureNames.length !== features) {
    throw new RangeError(`the model has ${features} features but ${featureNames.length} names were given`);
  }
  return encodeOnnxModel({
    opsets: { '': 17 },
    producerName: 'plumb',
    docString: 'multinomial logistic regression on standardized features',
    metadata: { classes: JSON.stringify(model.classes), features: JSON.stringify(featureNames) },
    graph: {
      name: 'logistic_regression',
      initializers: [
        { name: 'mean', type: 'float', dims: [features], values: model.mean },
        { name: 'scale', type: 'float', dims: [features], values: model.scale },
        { name: 'weights', type: 'float', dims: [features, classes], values: model.weights.flat() },
        { name: 'bias', type: 'float', dims: [classes], values: model.bias },
      ],
      nodes: [
        { opType: 'Sub', inputs: ['features', 'mean'], outputs: ['centered'] },
        { opType: 'Div', inputs: ['centered', 'scale'], outputs: ['standardized'] },
        { opType: 'MatMul', inputs: ['standardized', 'weights'], outputs: ['linear'] },
        { opType: 'Add', inputs: ['linear', 'bias'], outputs: ['logits'] },
        {
          opType: 'Softmax',
          inputs: ['logits'],
          outputs: ['probabilities'],
          attributes: [attr.int('axis', 1)],
        },
        {
          opType: 'ArgMax',
          inputs: ['probabilities'],
          outputs: ['label'],
          attributes: [attr.int('axis', 1), attr.int('keepdims', 0)],
        },
      ],
      inputs: [{ name: 'features', type: { tensor: 'float', shape: ['N', features] } }],
      outputs: [
        { name: 'label', type: { tensor: 'int64', shape: ['N'] } },
        { name: 'probabilities', type: { tensor: 'float', shape: ['N', classes] } },
      ],
    },
  });
}
