import ArgumentParser
import Datasets
import Federation
import Foundation
import RunConfiguration
import TensorCore

/// `fedtop run --central`: the same model trained on all the records in one place, with or without
/// DP-SGD — the baseline a federation is compared with. Prints one line per epoch.
struct CentralRun {
    let options: FederationOptions
    let epochs: Int
    let save: String?

    func run() throws {
        let o = try options.commandLine
        let datasetSpec = o.string(.dataset)
        let data: Dataset
        do { data = try DatasetSource.load(datasetSpec) } catch {
            // The data named by --dataset is input to the command: a problem with it is bad usage (2).
            throw ValidationError("--dataset \(datasetSpec): \(error)")
        }
        let seed = o.seed(.seed)
        let (rawTrain, rawTest) = data.split(testFraction: o.number(.testFraction), seed: seed)
        let standardized = HospitalShares.standardized(HospitalData(train: rawTrain, test: rawTest),
                                                       featureClip: o[.featureClip]?.number.map { Float($0) })
        let train = standardized.train, test = standardized.test
        let kind = o[.model]?.string ?? DatasetSource.defaultModel(for: data)
        let noise = o[.noise]?.number
        if o.isSet(.epsilon) && noise != nil {
            throw ValidationError("--central: give --epsilon (σ is calibrated to it) or --noise, not both")
        }
        let dp = o[.dp]?.string ?? ((o.isSet(.epsilon) || noise != nil) ? "sample" : "off")
        guard dp == "sample" || dp == "off" else { throw ValidationError("--central trains with --dp sample or off, not \(dp)") }
        let settings = o.training(TrainingDefaults.forModel(kind, dpSGD: dp == "sample"))
        let privacy = dp == "sample"
            ? CentralTraining.Privacy(targetEpsilon: noise == nil ? o.number(.epsilon) : nil, noiseMultiplier: noise,
                                      delta: o.number(.delta), clipNorm: settings.clipNorm, noiseSeed: o[.noiseSeed]?.seed)
            : nil
        let training = CentralTraining(modelKind: kind, epochs: epochs, batchSize: settings.batchSize,
                                       learningRate: settings.learningRate,
                                       momentum: Float(o.number(.momentum)),
                                       seed: seed, privacy: privacy)
        print("fedtop: central baseline: \(data.name), \(data.count) records (\(train.count) train, \(test.count) test), "
              + "\(data.classNames.count) classes; \(kind)" + (privacy == nil ? ", no privacy" : ", DP-SGD"))
        let started = ContinuousClock.now
        let outcome: CentralTraining.Outcome
        do {
            outcome = try training.run(train: train, test: test) { e in
                var line = String(format: "epoch %d/%d  train loss %.4f  test loss %.4f  test accuracy %.4f  %.0f samples/s",
                                  e.epoch, epochs, e.trainLoss, e.testLoss, e.testAccuracy, e.samplesPerSecond)
                if let eps = e.epsilon { line += String(format: "  ε %.3f", eps) }
                print(line)
                fflush(nil)  // progress reaches a pipe as it happens
            }
        } catch let error as FederationError {
            throw ValidationError(error.description)  // no σ reaches the target ε: the options ask too much
        } catch let error as ModelError {
            throw ValidationError("--model \(kind): \(error)")  // the model cannot take this data
        }
        if let sigma = outcome.noiseMultiplier, let privacy {
            print(String(format: "fedtop: DP-SGD σ %.4f, C %g, δ %g; ε spent %.3f%@", sigma, privacy.clipNorm, privacy.delta,
                         outcome.epochs.last?.epsilon ?? 0,
                         outcome.secureNoise ? "" : " (seeded noise: reproducible, not secure)"))
        }
        print("fedtop: trained in \(started.duration(to: .now))")
        if let save {
            try outcome.model.save(to: save, metadata: ["fedtop.dataset": data.name])
            print("fedtop: weights written to \(save)")
        }
    }
}
