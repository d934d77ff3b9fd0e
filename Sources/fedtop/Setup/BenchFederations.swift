import Benchmarks
import Foundation
import RunConfiguration
import Transport

/// The benchmarks' federations, set up exactly as `fedtop run` sets a run up (``FederationSetup``
/// with the option table's defaults for what the spec leaves out), so that they time what a run does.
struct FedtopBenchFederations: BenchFederationFactory {
    func federation(_ s: BenchFederationSpec) throws -> BenchFederation {
        var o = RunOptions([.out: .string(s.out), .seed: .seed(s.seed), .dataset: .string(s.dataset), .rounds: .integer(s.rounds),
                            .dp: .string(s.epsilon == nil ? "off" : "sample")])
        o[.hospitals] = s.hospitals.map(RunOption.Value.integer)
        o[.perRound] = s.perRound.map(RunOption.Value.integer)
        o[.localEpochs] = s.localEpochs.map(RunOption.Value.integer)
        o[.batchSize] = s.batchSize.map(RunOption.Value.integer)
        o[.model] = s.model.map(RunOption.Value.string)
        o[.learningRate] = s.learningRate.map { .number(Double($0)) }
        o[.momentum] = s.momentum.map { .number(Double($0)) }
        o[.strategy] = s.strategy.map(RunOption.Value.string)
        o[.epsilon] = s.epsilon.map(RunOption.Value.number)
        o[.delta] = s.delta.map(RunOption.Value.number)
        o[.clip] = s.clip.map(RunOption.Value.number)
        o[.featureClip] = s.featureClip.map(RunOption.Value.number)
        o[.secureAggregation] = s.secureAggregation ? .boolean(true) : nil
        o[.hospital] = s.remoteHospitals.isEmpty ? nil : .strings(s.remoteHospitals)
        o[.certs] = s.consoleCerts.map(RunOption.Value.string)
        o[.federatedDropout] = s.federatedDropout.map(RunOption.Value.number)
        let setup = try FederationSetup(options: RunPlan(options: o), liveAudit: s.liveAudit)
        return BenchFederation(engine: setup.engine, recorder: setup.recorder) {
            for remote in setup.remoteHospitals { remote.close() }
            setup.keys.discard()
        }
    }

    /// As `fedtop run --hospital ENDPOINT --certs CONSOLE` attaches it (``RemoteAttachment``).
    func attach(endpoint: String, consoleCerts: String) throws -> RemoteHospital {
        let options = RunOptions([.hospital: .strings([endpoint]), .certs: .string(consoleCerts), .name: .string("bench-transport")])
        guard let attached = try RemoteAttachment.connect(RunPlan(options: options)).first else { throw RunError("no hospital attached") }
        return attached
    }
}
