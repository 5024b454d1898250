import * as tf from '@tensorflow/tfjs-core';

export type LossKind = 'cross-entropy' | 'mse';

/** Mean softmax cross-entropy of logits [B, C] against integer labels [B]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const classes = logits.shape[1];
  const logProbs = tf.logSoftmax(logits);
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, classes), logProbs), 1))) as tf.Scalar;
}

export function meanSquaredError(predictions: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.squaredDifference(predictions, targets));
}

/** Count of rows whose argmax equals the label. */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32'));
}
