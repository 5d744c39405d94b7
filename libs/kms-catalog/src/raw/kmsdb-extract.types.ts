// Row shapes of kmsdb-extract.generated.ts (verbatim KmsDataBase.xml facts).

export interface XmlWinBuild {
  readonly build: number;
  readonly name: string;
  readonly platformId: number;
  readonly releaseDate?: string;
  readonly useForEpid: boolean;
  readonly mayBeServer: boolean;
  readonly usesNdr64: boolean;
}

export interface XmlCsvlk {
  readonly id: string;
  readonly name: string;
  readonly groupId?: number;
  readonly minKeyId?: number;
  readonly maxKeyId?: number;
  readonly releaseDate?: string;
  readonly isLab: boolean;
  readonly isPreview: boolean;
  readonly epid?: string;
  readonly activates: readonly string[];
}

export interface XmlApp {
  readonly id: string;
  readonly name: string;
  readonly minActiveClients?: number;
}

export interface XmlKmsItem {
  readonly id: string;
  readonly applicationId: string;
  readonly name: string;
  readonly nCountPolicy: number;
  readonly defaultProtocol: string;
  readonly isRetail: boolean;
  readonly isPreview: boolean;
}

export interface XmlSku {
  readonly id: string;
  readonly kmsItemId: string;
  readonly name: string;
  readonly gvlk?: string;
  readonly isGeneratedGvlk: boolean;
}
