/**
 * ONNX export of a sequential network, inference behaviour (what `predict` computes).
 *
 * Opset 20 of the default domain, IR version 9 (ONNX 1.15, the release that introduced
 * opset 20). 20 is the lowest opset with every operator below as a single node: Gelu (both
 * 'none' and 'tanh' approximations) is new in 20, Mish in 18, LayerNormalization in 17;
 * onnxruntime ≥ 1.17 (this repository tests with onnxruntime-node 1.30) implements it.
 * Input "input" [N, inputSize] float, output "output" [N, outputs] float; preprocessing
 * (x − shift) / scale as Sub and Div nodes first. Per layer:
 * - dense: Gemm(x, W, b) with W stored [inputs, units]; MatMul(x, W) without bias; then its activation
 * - activation: relu Relu; sigmoid Sigmoid; tanh Tanh; leakyRelu LeakyRelu(alpha); elu Elu(alpha);
 *   selu Selu(alpha 1.6732632423543772, gamma 1.0507009873554805); gelu Gelu (approximate 'none');
 *   geluTanh Gelu (approximate 'tanh'); softplus Softplus; silu Mul(x, Sigmoid(x));
 *   hardSigmoid HardSigmoid(alpha 1/6, beta 0.5); mish Mish; softmax Softmax(axis −1); linear: no node
 * - dropout: no node (the identity at inference)
 * - batchNorm: BatchNormalization(x, gamma, beta, runningMean, runningVar; epsilon), inference mode
 * - layerNorm: LayerNormalization(x, gamma, beta; axis −1, epsilon)
 * A network with no node at all (only linear/dropout layers) gets one Identity node.
 * Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, …); float attributes are AttributeProto.f (field 2) with type FLOAT (1).
 */
import type { Activation, LayerSpec } from '../engine/engine.js';
import { ProtoWriter } from './protobuf.js';

/** One layer as the model hands it over: its spec and its weights by suffix ('kernel', 'bias', 'gamma', …). */
export interface OnnxLayer {
  name: string;
  spec: LayerSpec;
  tensors: Record<string, Float32Array>;
}

/** Input preprocessing (x − shift) / scale, exported as Sub and Div nodes. */
export interface OnnxPreprocess {
  shift: Float32Array;
  scale: Float32Array;
}

/** The opset this file writes (see the header). */
export const ONNX_OPSET = 20;
const IR_VERSION = 9;

/** TensorProto.DataType FLOAT. */
const TENSOR_FLOAT = 1;
/** AttributeProto.AttributeType values. */
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_STRING = 3;

const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;

type Attribute = { name: string; float: number } | { name: string; int: number } | { name: string; string: string };

interface Node {
  op: string;
  inputs: string[];
  output: string;
  name: string;
  attributes: Attribute[];
}

interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array;
}

function writeAttribute(w: ProtoWriter, a: Attribute): void {
  w.string(1, a.name);
  if ('float' in a) w.float(2, a.float).int(20, ATTRIBUTE_FLOAT);
  else if ('int' in a) w.int(3, a.int).int(20, ATTRIBUTE_INT);
  else w.string(4, a.string).int(20, ATTRIBUTE_STRING);
}

function writeNode(w: ProtoWriter, node: Node): void {
  for (const input of node.inputs) w.string(1, input);
  w.string(2, node.output).string(3, node.name).string(4, node.op);
  for (const a of node.attributes) w.message(5, (attr) => writeAttribute(attr, a));
}

function writeValueInfo(w: ProtoWriter, name: string, width: number): void {
  w.string(1, name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, TENSOR_FLOAT).message(2, (shape) => {
        shape.message(1, (dim) => dim.string(2, 'N'));
        shape.message(1, (dim) => dim.int(1, width));
      }),
    ),
  );
}

function writeInitializer(w: ProtoWriter, t: Initializer): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, TENSOR_FLOAT).string(8, t.name).bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

/** Builds the node list: each step reads the current value and makes its output the new one. */
class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Initializer[] = [];
  current = 'input';
  private readonly used = new Set<string>();

  /** A value or node name derived from `base`, unique in the graph. */
  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node on explicit inputs; returns its output's name. */
  node(scope: string, op: string, inputs: string[], attributes: Attribute[] = []): string {
    const output = this.unique(`${scope}/${op}`);
    this.nodes.push({ op, inputs, output, name: output, attributes });
    return output;
  }

  /** A node applied to the current value (plus `extra` inputs), which becomes current. */
  apply(scope: string, op: string, extra: string[] = [], attributes: Attribute[] = []): void {
    this.current = this.node(scope, op, [this.current, ...extra], attributes);
  }

  tensor(name: string, dims: number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (!(data instanceof Float32Array) || data.length !== size) {
      throw new RangeError(`encodeOnnx: tensor ${name} should hold ${size} float32 values, received ${data instanceof Float32Array ? data.length : typeof data}`);
    }
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims, data });
    return unique;
  }

  /** Names the final value "output" (renaming the node that produces it, or adding an Identity). */
  finish(): void {
    const last = this.nodes[this.nodes.length - 1];
    if (last && last.output === this.current) last.output = 'output';
    else this.nodes.push({ op: 'Identity', inputs: [this.current], output: 'output', name: 'output/Identity', attributes: [] });
    this.current = 'output';
  }
}

function layerTensor(layer: OnnxLayer, key: string): Float32Array {
  const t = layer.tensors[key];
  if (!t) throw new RangeError(`encodeOnnx: layer ${layer.name} (${layer.spec.kind}) lacks its '${key}' tensor`);
  return t;
}

function addActivation(g: GraphBuilder, scope: string, activation: Activation, alpha: number): void {
  switch (activation) {
    case 'linear':
      return;
    case 'relu':
      return g.apply(scope, 'Relu');
    case 'sigmoid':
      return g.apply(scope, 'Sigmoid');
    case 'tanh':
      return g.apply(scope, 'Tanh');
    case 'leakyRelu':
      return g.apply(scope, 'LeakyRelu', [], [{ name: 'alpha', float: alpha }]);
    case 'elu':
      return g.apply(scope, 'Elu', [], [{ name: 'alpha', float: alpha }]);
    case 'selu':
      return g.apply(scope, 'Selu', [], [{ name: 'alpha', float: SELU_ALPHA }, { name: 'gamma', float: SELU_GAMMA }]);
    case 'gelu':
      return g.apply(scope, 'Gelu', [], [{ name: 'approximate', string: 'none' }]);
    case 'geluTanh':
      return g.apply(scope, 'Gelu', [], [{ name: 'approximate', string: 'tanh' }]);
    case 'softplus':
      return g.apply(scope, 'Softplus');
    case 'silu': {
      const s = g.node(scope, 'Sigmoid', [g.current]);
      g.current = g.node(scope, 'Mul', [g.current, s]);
      return;
    }
    case 'hardSigmoid':
      return g.apply(scope, 'HardSigmoid', [], [{ name: 'alpha', float: 1 / 6 }, { name: 'beta', float: 0.5 }]);
    case 'mish':
      return g.apply(scope, 'Mish');
    case 'softmax':
      return g.apply(scope, 'Softmax', [], [{ name: 'axis', int: -1 }]);
    default: {
      const never: never = activation;
      throw new RangeError(`encodeOnnx: unknown activation ${String(never)}`);
    }
  }
}

function addLayer(g: GraphBuilder, layer: OnnxLayer): void {
  const { name, spec } = layer;
  switch (spec.kind) {
    case 'dense': {
      const kernel = g.tensor(`${name}/kernel`, [spec.inputs, spec.units], layerTensor(layer, 'kernel'));
      if (spec.useBias) g.apply(name, 'Gemm', [kernel, g.tensor(`${name}/bias`, [spec.units], layerTensor(layer, 'bias'))]);
      else g.apply(name, 'MatMul', [kernel]);
      return addActivation(g, name, spec.activation, spec.alpha);
    }
    case 'activation':
      return addActivation(g, name, spec.activation, spec.alpha);
    case 'dropout':
      return;
    case 'batchNorm': {
      const inputs = ['gamma', 'beta', 'runningMean', 'runningVar'].map((key) => g.tensor(`${name}/${key}`, [spec.units], layerTensor(layer, key)));
      return g.apply(name, 'BatchNormalization', inputs, [{ name: 'epsilon', float: spec.eps }]);
    }
    case 'layerNorm': {
      const inputs = ['gamma', 'beta'].map((key) => g.tensor(`${name}/${key}`, [spec.units], layerTensor(layer, key)));
      return g.apply(name, 'LayerNormalization', inputs, [{ name: 'axis', int: -1 }, { name: 'epsilon', float: spec.eps }]);
    }
    default: {
      const never: never = spec;
      throw new RangeError(`encodeOnnx: unknown layer kind ${String((never as { kind: unknown }).kind)}`);
    }
  }
}

/** Serialises the network as an ONNX ModelProto. */
export function encodeOnnx(inputSize: number, layers: OnnxLayer[], producerVersion: string, preprocess?: OnnxPreprocess): Uint8Array {
  const g = new GraphBuilder();
  if (preprocess) {
    const shift = g.tensor('preprocess/shift', [inputSize], preprocess.shift);
    const scale = g.tensor('preprocess/scale', [inputSize], preprocess.scale);
    g.apply('preprocess', 'Sub', [shift]);
    g.apply('preprocess', 'Div', [scale]);
  }
  for (const layer of layers) addLayer(g, layer);
  g.finish();
  const outputs = layers.length > 0 ? layers[layers.length - 1].spec.units : inputSize;

  const model = new ProtoWriter();
  model.int(1, IR_VERSION);
  model.string(2, 'downhill').string(3, producerVersion);
  model.message(8, (opset) => opset.string(1, '').int(2, ONNX_OPSET));
  model.message(7, (graph) => {
    for (const node of g.nodes) graph.message(1, (w) => writeNode(w, node));
    graph.string(2, 'downhill');
    for (const t of g.initializers) graph.message(5, (w) => writeInitializer(w, t));
    graph.message(11, (v) => writeValueInfo(v, 'input', inputSize));
    graph.message(12, (v) => writeValueInfo(v, 'output', outputs));
  });
  return model.finish();
}
