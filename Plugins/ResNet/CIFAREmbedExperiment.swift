import Foundation
import PluginAPI

/// Experiment `cifar-embed` (CS189 HW7 problem 4): the training images in two dimensions by
/// PCA (the two directions of largest pixel variance) and by CCA against the one-hot labels
/// (the two pixel directions most correlated with a linear function of the label), as
/// scatter plots coloured by class.
enum CIFAREmbedExperiment {
    static let declaration = Experiment(
        name: "cifar-embed",
        summary: "2-D PCA and 2-D CCA (against one-hot labels) embeddings of the CIFAR-10 training images, as scatter plots by class",
        settings: Settings.self,
        metrics: [
            MetricSpec("pca_variance_share_1", goal: .neither, help: "share of the total pixel variance along the first principal direction"),
            MetricSpec("pca_variance_share_2", goal: .neither, help: "the same for the second"),
            MetricSpec("canonical_correlation_1", goal: .neither, help: "correlation of the first CCA pixel direction with its best linear function of the label"),
            MetricSpec("canonical_correlation_2", goal: .neither, help: "the same for the second"),
        ],
        train: run)

    /// What to plot, the CCA's ridge and the training data (the validation set is not used).
    struct Settings: ExperimentSettings {
        var plotPoints = 3000
        var ccaRidge = 1e-4
        var data = CIFARSplit.Source()
        static let fields: [SettingField<Settings>] = [
            .int("plot-points", \.plotPoints, range: 10...50_000, help: "plot the first this many images (all are used to fit)"),
            .double("cca-ridge", \.ccaRidge, min: 0, max: 1, help: "ridge added to the pixel covariance for CCA, relative to its mean diagonal"),
        ] + SettingField.nested(\.data, CIFARSplit.Source.fields.filter { $0.name != "subset-val" })
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let data = try CIFARSplit.load(settings.data, needValidation: false)
        context.log("cifar-embed: \(data.train.count) training images from \(data.folder)")
        let moments = CIFARMoments(data.train)
        let (pca, variances) = principalDirections(moments.gram, count: 2)
        let trace = (0..<CIFARMoments.d).reduce(0.0) { $0 + moments.gram[$1, $1] }
        context.metrics.final("pca_variance_share_1", variances[0] / trace)
        context.metrics.final("pca_variance_share_2", variances[1] / trace)
        let (cca, correlations) = canonicalDirections(moments, relativeRidge: settings.ccaRidge)
        context.metrics.final("canonical_correlation_1", correlations[0])
        context.metrics.final("canonical_correlation_2", correlations[1])
        let shown = data.train.prefix(settings.plotPoints)
        for (name, directions, axis) in [("pca", pca, "principal component"), ("cca", cca, "canonical direction")] {
            let coordinates = moments.project(shown, directions)
            let points = zip(coordinates, shown.labels).map { (x: $0[0], y: $0[1], cls: $1) }
            let plot = ScatterPlot(title: "CIFAR-10 training images, 2-D \(name.uppercased()) (\(shown.count) of \(data.train.count) shown)",
                                   xLabel: "\(axis) 1", yLabel: "\(axis) 2", points: points, classNames: data.classNames)
            try context.artifacts.write(plot.svg(width: 720, height: 560), to: "\(name).svg")
        }
    }

    /// The `count` leading eigenvectors (columns of a 3,072 x count matrix) of the symmetric
    /// positive semi-definite `gram` and their eigenvalues, by subspace iteration.
    static func principalDirections(_ gram: DMatrix, count: Int) -> (DMatrix, [Double]) {
        let d = gram.rows
        var generator = SeededGenerator(seed: 1)
        var basis = DMatrix(rows: count, columns: d, values: (0..<(count * d)).map { _ in generator.nextNormal() })
        var values = [Double](repeating: 0, count: count)
        for _ in 0..<300 {
            var next = DoubleLinearAlgebra.multiplyTransposed(basis, gram)     // rows: (G v_i)^T
            let previous = values
            for i in 0..<count {
                values[i] = zip(basis.row(i), next.row(i)).reduce(0) { $0 + $1.0 * $1.1 }
                for j in 0..<i {
                    let overlap = zip(next.row(i), next.row(j)).reduce(0) { $0 + $1.0 * $1.1 }
                    for q in 0..<d { next.values[i * d + q] -= overlap * next.values[j * d + q] }
                }
                let norm = next.row(i).reduce(0) { $0 + $1 * $1 }.squareRoot()
                for q in 0..<d { next.values[i * d + q] /= norm }
            }
            basis = next
            if zip(values, previous).allSatisfy({ abs($0 - $1) <= 1e-12 * abs($0) }) { break }
        }
        return (DoubleLinearAlgebra.transpose(basis), values)
    }

    /// The two pixel directions of CCA against the one-hot labels and their canonical
    /// correlations: with Sxx + ridge = L L^T and Syy = K, the top eigenvectors u of
    /// S = K^-1/2 A^T A K^-1/2 where A = L^-1 Sxy give w = L^-T A K^-1/2 u.
    static func canonicalDirections(_ m: CIFARMoments, relativeRidge: Double) -> (DMatrix, [Double]) {
        let (d, k, n) = (CIFARMoments.d, CIFARMoments.classes, Double(m.count))
        let l = m.regularisedCholesky(relativeRidge: relativeRidge).factor
        var a = DMatrix(rows: d, columns: k)
        for c in 0..<k {
            let column = SmallLinearAlgebra.triangularSolve(l, (0..<d).map { m.cross[$0, c] }, transposed: false)
            for i in 0..<d { a.values[i * k + c] = column[i] }
        }
        // Centred one-hot covariance: n (diag(p) - p p^T); singular along the all-ones vector
        // (and along absent classes), so its pseudo-inverse square root drops those directions.
        var syy = DMatrix(rows: k, columns: k)
        for i in 0..<k { for j in 0..<k { syy.values[i * k + j] = n * ((i == j ? m.labelMean[i] : 0) - m.labelMean[i] * m.labelMean[j]) } }
        let (eigenvalues, u) = SmallLinearAlgebra.symmetricEigen(syy)
        var inverseRoot = DMatrix(rows: k, columns: k)
        for i in 0..<k { for j in 0..<k { inverseRoot.values[i * k + j] = (0..<k).reduce(0) { $0 + (eigenvalues[$1] > 1e-9 * eigenvalues[0] ? u[i, $1] * u[j, $1] / eigenvalues[$1].squareRoot() : 0) } } }
        let ak = DoubleLinearAlgebra.multiplyTransposed(a, inverseRoot)             // d x k (inverseRoot is symmetric)
        let akT = DoubleLinearAlgebra.transpose(ak)
        let s = DoubleLinearAlgebra.multiplyTransposed(akT, akT)                     // k x k: ak^T ak
        let (rho2, vectors) = SmallLinearAlgebra.symmetricEigen(s)
        var directions = DMatrix(rows: d, columns: 2)
        for j in 0..<2 {
            var v = (0..<d).map { i in (0..<k).reduce(0) { $0 + ak[i, $1] * vectors[$1, j] } }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            v = v.map { $0 / norm }
            let w = SmallLinearAlgebra.triangularSolve(l, v, transposed: true)
            let wNorm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for i in 0..<d { directions.values[i * 2 + j] = w[i] / wNorm }
        }
        return (directions, rho2.prefix(2).map { max($0, 0).squareRoot() })
    }
}
