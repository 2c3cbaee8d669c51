/**
 * ONNX export of a dense network: one Gemm (x·W + b, W stored [in, out]) per layer followed by
 * its activation node (Relu, Softmax on axis 1, nothing for linear). Opset 13, IR version 8;
 * input "input" [N, inputSize] float, output "output" [N, outputs].
 * Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, …).
 */
import type { Activation } from '../engine/engine.js';
import { ProtoWriter } from './protobuf.js';

export interface OnnxDense {
  name: string;
  inputs: number;
  units: number;
  activation: Activation;
  kernel: Float32Array;
  bias: Float32Array;
}

const FLOAT = 1;
const ATTRIBUTE_INT = 2;

function valueInfo(w: ProtoWriter, name: string, width: number): void {
  w.string(1, name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, FLOAT).message(2, (shape) => {
        shape.message(1, (dim) => dim.string(2, 'N'));
        shape.message(1, (dim) => dim.int(1, width));
      }),
    ),
  );
}

function initializer(w: ProtoWriter, name: string, dims: number[], data: Float32Array): void {
  for (const d of dims) w.int(1, d);
  w.int(2, FLOAT).string(8, name).bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Input preprocessing (x − shift) / scale, exported as Sub and Div nodes. */
export interface OnnxPreprocess {
  shift: Float32Array;
  scale: Float32Array;
}

/** Serialises the network as an ONNX ModelProto. */
export function encodeOnnx(inputSize: number, layers: OnnxDense[], producerVersion: string, preprocess?: OnnxPreprocess): Uint8Array {
  const model = new ProtoWriter();
  model.int(1, 8); // ir_version
  model.string(2, 'downhill').string(3, producerVersion);
  model.message(8, (opset) => opset.string(1, '').int(2, 13));
  model.message(7, (graph) => {
    let current = 'input';
    if (preprocess) {
      graph.message(1, (node) => node.string(1, 'input').string(1, 'preprocess/shift').string(2, 'preprocess/centered').string(3, 'preprocess/sub').string(4, 'Sub'));
      graph.message(1, (node) => node.string(1, 'preprocess/centered').string(1, 'preprocess/scale').string(2, 'preprocess/out').string(3, 'preprocess/div').string(4, 'Div'));
      current = 'preprocess/out';
    }
    layers.forEach((layer, i) => {
      const last = i === layers.length - 1;
      const z = layer.activation === 'linear' && last ? 'output' : `${layer.name}/z`;
      graph.message(1, (node) => {
        node.string(1, current).string(1, `${layer.name}/kernel`).string(1, `${layer.name}/bias`);
        node.string(2, z).string(3, `${layer.name}/gemm`).string(4, 'Gemm');
      });
      current = z;
      if (layer.activation !== 'linear') {
        const a = last ? 'output' : `${layer.name}/a`;
        graph.message(1, (node) => {
          node.string(1, current).string(2, a).string(3, `${layer.name}/${layer.activation}`);
          node.string(4, layer.activation === 'relu' ? 'Relu' : 'Softmax');
          if (layer.activation === 'softmax') node.message(5, (attr) => attr.string(1, 'axis').int(20, ATTRIBUTE_INT).int(3, 1));
        });
        current = a;
      }
    });
    graph.string(2, 'downhill');
    if (preprocess) {
      graph.message(5, (t) => initializer(t, 'preprocess/shift', [inputSize], preprocess.shift));
      graph.message(5, (t) => initializer(t, 'preprocess/scale', [inputSize], preprocess.scale));
    }
    for (const layer of layers) {
      graph.message(5, (t) => initializer(t, `${layer.name}/kernel`, [layer.inputs, layer.units], layer.kernel));
      graph.message(5, (t) => initializer(t, `${layer.name}/bias`, [layer.units], layer.bias));
    }
    graph.message(11, (v) => valueInfo(v, 'input', inputSize));
    graph.message(12, (v) => valueInfo(v, 'output', layers[layers.length - 1].units));
  });
  return model.finish();
}
