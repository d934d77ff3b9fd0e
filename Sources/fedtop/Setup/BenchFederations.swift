import Benchmarks
import Foundation
import Transport

/// The benchmarks' federations, set up exactly as `fedtop run` sets a run up (``FederationSetup``
/// with fedtop's defaults for what the spec leaves out), so that they time what a run does.
struct FedtopBenchFederations: BenchFederationFactory {
    func federation(_ s: BenchFederationSpec) throws -> BenchFederation {
        var o = try FederationOptions.parse([])
        o.out = s.out
        o.seed = s.seed
        o.dataset = s.dataset
        o.hospitals = s.hospitals
        o.perRound = s.perRound
        o.rounds = s.rounds
        o.localEpochs = s.localEpochs
        o.batchSize = s.batchSize
        o.model = s.model
        o.learningRate = s.learningRate
        o.momentum = s.momentum
        o.strategy = s.strategy
        o.dp = s.epsilon == nil ? "off" : "sample"
        o.epsilon = s.epsilon
        o.delta = s.delta
        o.clip = s.clip
        o.featureClip = s.featureClip
        o.secureAggregation = s.secureAggregation
        o.remoteHospitals = s.remoteHospitals
        o.certs = s.consoleCerts
        let setup = try FederationSetup(options: o.resolved())
        return BenchFederation(engine: setup.engine, recorder: setup.recorder) {
            for remote in setup.remoteHospitals { remote.close() }
            setup.keys.discard()
        }
    }

    /// As `fedtop run --hospital ENDPOINT --certs CONSOLE` attaches it (``RemoteAttachment``).
    func attach(endpoint: String, consoleCerts: String) throws -> RemoteHospital {
        var options = try FederationOptions.parse([])
        options.remoteHospitals = [endpoint]
        options.certs = consoleCerts
        options.name = "bench-transport"
        guard let attached = try RemoteAttachment.connect(options.resolved()).first else { throw RunError("no hospital attached") }
        return attached
    }
}
